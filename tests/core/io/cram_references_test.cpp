#include "dnassm/io/cram_references.h"

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace dnassm {
namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

// Sets the variables a test names and puts back what was there.
class CramReferences : public testing::Test {
  protected:
    void TearDown() override {
        for (auto it = saved_.rbegin(); it != saved_.rend(); ++it)  // the first value saved last
            it->second.empty() ? unsetenv(it->first) : setenv(it->first, it->second.c_str(), 1);
    }
    void set(const char* name, const char* value) {
        saved_.emplace_back(name, env(name));
        value ? setenv(name, value, 1) : unsetenv(name);
    }

  private:
    std::vector<std::pair<const char*, std::string>> saved_;
};

TEST_F(CramReferences, LookedUpLocallyUnlessTheUserSaysWhere) {
    // HTSlib's default REF_PATH is the EBI's server; dnassm sets the local cache instead.
    set("REF_PATH", nullptr);
    set("REF_CACHE", nullptr);
    set("XDG_CACHE_HOME", "/x/cache");
    keep_cram_references_local();
    EXPECT_EQ(env("REF_PATH"), "/x/cache/hts-ref/%2s/%2s/%s");
    set("REF_PATH", nullptr);
    set("XDG_CACHE_HOME", nullptr);
    set("HOME", "/home/u");
    keep_cram_references_local();
    EXPECT_EQ(env("REF_PATH"), "/home/u/.cache/hts-ref/%2s/%2s/%s");
    set("REF_PATH", nullptr);
    set("REF_CACHE", "/refs/%2s/%s");
    keep_cram_references_local();
    EXPECT_EQ(env("REF_PATH"), "/refs/%2s/%s");
    set("REF_PATH", "/mine/%s:https://example.org/%s");  // the user's choice, URLs and all
    keep_cram_references_local();
    EXPECT_EQ(env("REF_PATH"), "/mine/%s:https://example.org/%s");
}

}  // namespace
}  // namespace dnassm
