# Bash completion for dnassm: subcommands; each subcommand's options, read from its --help so they
# stay in step with the binary; model names ('dnassm info' lists them) and folders after -m; the
# values of options that take a fixed set; files elsewhere. Installed as
# share/bash-completion/completions/dnassm; or: source tools/dnassm-completion.bash
_dnassm() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local dnassm=${COMP_WORDS[0]}
    if ((COMP_CWORD == 1)); then
        COMPREPLY=($(compgen -W "embed predict score merge call pretrain finetune convert info
            help --help --version --version-only" -- "$cur"))
        return
    fi
    local cmd=${COMP_WORDS[1]}
    if [[ $cmd == help ]]; then  # dnassm help COMMAND
        ((COMP_CWORD == 2)) &&
            COMPREPLY=($(compgen -W "embed predict score merge call pretrain finetune convert info" \
                -- "$cur"))
        return
    fi
    case $prev in
    -m | --model)
        local names
        names=$("$dnassm" info 2>/dev/null | awk -F'\t' 'NR > 1 { sub(/^ +/, "", $1); print $1 }')
        COMPREPLY=($(compgen -W "$names" -- "$cur") $(compgen -d -- "$cur"))
        return
        ;;
    --device) COMPREPLY=($(compgen -W "auto cpu cpu-ref cuda cuda:0" -- "$cur")); return ;;
    --progress) COMPREPLY=($(compgen -W "auto bar json none" -- "$cur")); return ;;
    --pool) COMPREPLY=($(compgen -W "none mean" -- "$cur")); return ;;
    --dtype) COMPREPLY=($(compgen -W "f32 f16" -- "$cur")); return ;;
    --task) COMPREPLY=($(compgen -W "classify regress segment track" -- "$cur")); return ;;
    --class-weight) COMPREPLY=($(compgen -W "none balanced" -- "$cur")); return ;;
    --select) COMPREPLY=($(compgen -W "auto auroc mcc accuracy loss pearson spearman" -- "$cur")); return ;;
    -O | --output-fmt)
        COMPREPLY=($(compgen -W "bedgraph bed tsv vcf vcf.gz bcf bw npy h5" -- "$cur"))
        return
        ;;
    --track)
        COMPREPLY=($(compgen -W "loglik entropy prob all" -- "$cur"))
        return
        ;;
    esac
    if [[ $cur == -* ]]; then
        # Long options of the subcommand as its --help prints them: "  -r [ --region ] arg".
        local opts
        opts=$("$dnassm" "$cmd" --help 2>/dev/null | grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u)
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return
    fi
    COMPREPLY=($(compgen -f -- "$cur"))
}
complete -o filenames -F _dnassm dnassm
