#!/usr/bin/env nextflow
// dnassm at genome scale (nf-core style): scatter each sample into intervals from its .fai,
// DNASSM_PREDICT per interval (with --context so chunks reproduce a whole-genome run), gather
// per sample with groupKey/groupTuple and DNASSM_MERGE; BED calls of the gathered track with
// DNASSM_CALL when params.call_args is set; pooled embeddings with DNASSM_EMBED.
nextflow.enable.dsl = 2

include { DNASSM_PREDICT } from './modules/local/dnassm/predict/main'
include { DNASSM_MERGE   } from './modules/local/dnassm/merge/main'
include { DNASSM_EMBED   } from './modules/local/dnassm/embed/main'
include { DNASSM_CALL    } from './modules/local/dnassm/call/main'

params.samplesheet = null   // CSV: sample,fasta (FASTA with .fai beside it)
params.model       = null
params.chunk_size  = 1000000
params.outdir      = 'results'
params.call_args   = null   // dnassm call options (e.g. '--threshold 0.5 --probability'): BED calls

def intervals(fai, chunk) {
    def out = []
    fai.eachLine { line ->
        def f = line.split('\t')
        long len = f[1] as long
        for (long b = 0; b < len; b += chunk)
            out << "{${f[0]}}:${b + 1}-${Math.min(len, b + chunk)}"
    }
    out
}

workflow {
    samples = Channel.fromPath(params.samplesheet)
        .splitCsv(header: true)
        .map { row -> [ [id: row.sample], file(row.fasta), file(row.fasta + '.fai') ] }
    model = file(params.model)

    chunks = samples.flatMap { meta, fasta, fai ->
        def regions = intervals(fai, params.chunk_size as long)
        regions.collect { r -> [ meta + [n_chunks: regions.size()], fasta, fai, r ] }
    }
    DNASSM_PREDICT(chunks, model)

    grouped = DNASSM_PREDICT.out.track
        .map { meta, bw -> [ groupKey(meta.subMap('id'), meta.n_chunks), bw ] }
        .groupTuple()
    DNASSM_MERGE(grouped)
    if (params.call_args)
        DNASSM_CALL(DNASSM_MERGE.out.track)

    windows = samples.map { meta, fasta, fai ->
        def bed = file("${workDir}/${meta.id}.windows.bed")
        bed.text = fai.readLines().collect { l ->
            def f = l.split('\t'); long len = f[1] as long
            (0..<(len.intdiv(10000))).collect { i -> "${f[0]}\t${i * 10000}\t${(i + 1) * 10000}" }.join('\n')
        }.findAll { it }.join('\n') + '\n'
        [ meta, fasta, fai, bed ]
    }
    DNASSM_EMBED(windows, model)
}
