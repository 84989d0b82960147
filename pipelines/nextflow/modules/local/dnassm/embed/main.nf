process DNASSM_EMBED {
    tag "${meta.id}"
    label 'process_medium'

    input:
    tuple val(meta), path(fasta), path(fai), path(bed)
    path model

    output:
    tuple val(meta), path("*.h5"), emit: embeddings
    path "versions.yml"           , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args   = task.ext.args ?: '--pool mean'
    def prefix = task.ext.prefix ?: "${meta.id}"
    """
    dnassm embed \\
        -m ${model} \\
        -R ${bed} \\
        -@ ${task.cpus} \\
        --progress none \\
        ${args} \\
        -o ${prefix}.h5 \\
        ${fasta}

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        dnassm: \$(dnassm --version-only)
    END_VERSIONS
    """

    stub:
    def prefix = task.ext.prefix ?: "${meta.id}"
    """
    touch ${prefix}.h5
    echo '"${task.process}": {dnassm: stub}' > versions.yml
    """
}
