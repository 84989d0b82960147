// The AdamW parameter update (Backend::adamw_update), elementwise in double precision on the pool;
// shared by the "cpu" and "cpu-ref" backends, so training resumes bit for bit on either.
#include "dnassm/thread_pool.h"

#include "../common/adamw_math.h"
#include "cpu_ops.h"

namespace dnassm::cpu {

void adamw_update(const AdamWArgs& a) {
    parallel_for(a.n, 1 << 14, [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t i = i0; i < i1; ++i) adamw_element(a, i);
    });
}

}  // namespace dnassm::cpu
