process DNASSM_CALL {
    tag "${meta.id}"
    label 'process_single'

    input:
    tuple val(meta), path(track)

    output:
    tuple val(meta), path("*.bed"), emit: calls
    path "versions.yml"            , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args   = task.ext.args ?: ''
    def prefix = task.ext.prefix ?: "${meta.id}.calls"
    """
    dnassm call ${args} -o ${prefix}.bed ${track}

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        dnassm: \$(dnassm --version-only)
    END_VERSIONS
    """

    stub:
    def prefix = task.ext.prefix ?: "${meta.id}.calls"
    """
    touch ${prefix}.bed
    echo '"${task.process}": {dnassm: stub}' > versions.yml
    """
}
