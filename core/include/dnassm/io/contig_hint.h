// What to tell a user whose region, BED line or VCF record names a contig the input lacks. The
// usual cause is a naming convention (UCSC "chr1" against Ensembl "1", "chrM" against "MT", an
// accession with or without its version, NCBI "gi|…|ref|NC_…|" headers), so the hint names the
// contig that differs only by convention, else a few of the input's names.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "dnassm/io/region.h"

namespace dnassm {

/// " (the input has 'X': contig names must match exactly)" when one or more of `names` is
/// `name` under another convention; otherwise " (the input's N contigs: a, b, c, …)".
[[nodiscard]] std::string unknown_contig_hint(std::string_view name,
                                              const std::vector<std::string>& names);
/// The same for an input's contig list.
[[nodiscard]] std::string unknown_contig_hint_for(std::string_view name,
                                                  const std::vector<Contig>& contigs);

/// The one name of `names` that is `name` under another convention (as the hint finds them), as
/// a genome browser shows a track's "chr1" on a FASTA's "1"; empty when none is, or several are.
/// The CLI never maps names: its outputs keep the input's.
[[nodiscard]] std::string contig_alias(std::string_view name,
                                       const std::vector<std::string>& names);
/// contig_alias over one list of names, each name looked up once (a file names its contigs on
/// every line, a view asks on every repaint).
class ContigAliases {
  public:
    explicit ContigAliases(const std::vector<Contig>& contigs);
    /// `name`'s one alias in the list; empty when it has none.
    [[nodiscard]] const std::string& of(const std::string& name);
    /// Renames `contig` to its alias when it has one, adding the rename to `renamed` (the old
    /// name -> the list's).
    void rename(std::string& contig, std::map<std::string, std::string>& renamed);

  private:
    std::vector<std::string> names_;
    std::map<std::string, std::string, std::less<>> tried_;  // every name asked -> its alias
};

}  // namespace dnassm
