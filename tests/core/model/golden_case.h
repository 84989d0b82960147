// The parametrisation shared by the golden parity suites: a case folder of tests/data/golden
// run on a backend, with the issues' tolerance.
#pragma once

#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "dnassm/io/npy.h"

#include "test_util.h"

namespace dnassm::test {

inline constexpr double kGoldenTol = 1e-4;  // ‖out − ref‖ / ‖ref‖ (the references reach ~1e-6)

struct GoldenCase {
    std::string name, backend;
};
inline void PrintTo(const GoldenCase& c, std::ostream* os) { *os << c.name << " on " << c.backend; }

class GoldenTest : public ::testing::TestWithParam<GoldenCase> {
  protected:
    [[nodiscard]] std::string dir() const { return data_dir() + "/golden/" + GetParam().name; }
    [[nodiscard]] Tensor ref(const std::string& f) const { return read_npy(dir() + "/" + f); }
};

}  // namespace dnassm::test
