process DNASSM_SCORE {
    tag "${meta.id} ${shard}"
    label 'process_medium'

    input:
    tuple val(meta), path(fasta), path(fai), path(vcf), val(shard)
    path model

    output:
    tuple val(meta), path("*.tsv"), emit: scores
    path "versions.yml"            , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args   = task.ext.args ?: ''
    // shard "I/N": the I-th of N consecutive blocks of the VCF's records
    def (i, n) = shard.tokenize('/')
    def prefix = task.ext.prefix ?: "${meta.id}.scores.${(i as int).toString().padLeft(5, '0')}"
    """
    dnassm score \\
        -m ${model} \\
        --vcf ${vcf} \\
        --shard ${shard} \\
        -@ ${task.cpus} \\
        --progress none \\
        ${args} \\
        -o ${prefix}.tsv \\
        ${fasta}

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        dnassm: \$(dnassm --version-only)
    END_VERSIONS
    """

    stub:
    def (i, n) = shard.tokenize('/')
    def prefix = task.ext.prefix ?: "${meta.id}.scores.${(i as int).toString().padLeft(5, '0')}"
    """
    printf 'CHROM\\tPOS\\tREF\\tALT\\tllr\\temb_l2\\temb_cos\\n' > ${prefix}.tsv
    echo '"${task.process}": {dnassm: stub}' > versions.yml
    """
}
