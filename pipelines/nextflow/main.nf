#!/usr/bin/env nextflow
// dnassm at genome scale (nf-core style): scatter each sample into intervals from its .fai,
// DNASSM_PREDICT per interval (with --context so chunks reproduce a whole-genome run), gather
// per sample with groupKey/groupTuple and DNASSM_MERGE; BED calls of the gathered track with
// DNASSM_CALL when params.call_args is set; pooled embeddings with DNASSM_EMBED; variant effect
// scores of a sample's VCF (samplesheet column vcf) in params.score_shards DNASSM_SCORE jobs,
// gathered in shard order (collectFile, one header) into one TSV per sample.
nextflow.enable.dsl = 2

include { DNASSM_PREDICT } from './modules/local/dnassm/predict/main'
include { DNASSM_MERGE   } from './modules/local/dnassm/merge/main'
include { DNASSM_EMBED   } from './modules/local/dnassm/embed/main'
include { DNASSM_CALL    } from './modules/local/dnassm/call/main'
include { DNASSM_SCORE   } from './modules/local/dnassm/score/main'

params.samplesheet = null   // CSV: sample,fasta[,vcf] (FASTA with .fai beside it; vcf optional)
params.model       = null
params.chunk_size  = 1000000
params.outdir      = 'results'
params.call_args   = null   // dnassm call options (e.g. '--threshold 0.5 --probability'): BED calls
params.score_shards = 1     // dnassm score --shard jobs per VCF

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
    rows = Channel.fromPath(params.samplesheet).splitCsv(header: true)
    samples = rows.map { row -> [ [id: row.sample], file(row.fasta), file(row.fasta + '.fai') ] }
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

    int n_shards = params.score_shards as int
    shards = rows.filter { row -> row.vcf }.flatMap { row ->
        (1..n_shards).collect { i ->
            [ [id: row.sample], file(row.fasta), file(row.fasta + '.fai'), file(row.vcf), "${i}/${n_shards}" ]
        }
    }
    DNASSM_SCORE(shards, model)
    DNASSM_SCORE.out.scores
        .collectFile(keepHeader: true, sort: { f -> f.name }, storeDir: "${params.outdir}/scores") { meta, tsv ->
            [ "${meta.id}.scores.tsv", tsv ]
        }
}
