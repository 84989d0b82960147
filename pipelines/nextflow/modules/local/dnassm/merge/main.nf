process DNASSM_MERGE {
    tag "${meta.id}"
    label 'process_single'

    input:
    tuple val(meta), path(tracks)

    output:
    tuple val(meta), path("*.bw"), emit: track
    path "versions.yml"           , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args   = task.ext.args ?: ''
    def prefix = task.ext.prefix ?: "${meta.id}.merged"
    """
    dnassm merge ${args} -o ${prefix}.bw ${tracks}

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        dnassm: \$(dnassm --version-only)
    END_VERSIONS
    """

    stub:
    def prefix = task.ext.prefix ?: "${meta.id}.merged"
    """
    touch ${prefix}.bw
    echo '"${task.process}": {dnassm: stub}' > versions.yml
    """
}
