process DNASSM_PREDICT {
    tag "${meta.id}:${region}"
    label 'process_medium'

    input:
    tuple val(meta), path(fasta), path(fai), val(region)
    path model

    output:
    tuple val(meta), path("*.bw"), emit: track
    path "versions.yml"           , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args   = task.ext.args ?: ''
    def prefix = task.ext.prefix ?: "${meta.id}.${region.replaceAll(/[^A-Za-z0-9_.-]/, '_')}"
    """
    dnassm predict \\
        -m ${model} \\
        -r '${region}' \\
        -@ ${task.cpus} \\
        --progress none \\
        ${args} \\
        -o ${prefix}.bw \\
        ${fasta}

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        dnassm: \$(dnassm --version-only)
    END_VERSIONS
    """

    stub:
    def prefix = task.ext.prefix ?: "${meta.id}.${region.replaceAll(/[^A-Za-z0-9_.-]/, '_')}"
    """
    touch ${prefix}.bw
    echo '"${task.process}": {dnassm: stub}' > versions.yml
    """
}
