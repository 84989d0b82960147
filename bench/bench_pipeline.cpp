// A streamed sequence through a whole model, two ways on the same backend, model and input:
//   OneAtATime  each window: forward() to host memory (and logits() from there), then the
//               consumer; the device idles while the host consumes, and the reverse;
//   Pipelined   run_sequence: each window's results stay on the backend, the logits are computed
//               there, and both come down on a second stream while the next window runs.
// The consumer does what `embed` does with a block: copies its rows into host output.
// bench/run_bench_stream.py runs it and prints the ratio. Settings (environment):
//   DNASSM_BENCH_DEVICE  backend (default auto: CUDA when usable)
//   DNASSM_BENCH_MODEL   model directory (default: the bundled model)
//   DNASSM_BENCH_BASES   sequence length (default 4194304)
//   DNASSM_BENCH_CHUNK   streaming chunk (default 1048576)
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "dnassm/backend.h"
#include "dnassm/model.h"
#include "dnassm/sequence_runner.h"
#include "dnassm/thread_pool.h"
#include "dnassm/tokenizer.h"

namespace {

using namespace dnassm;

std::string setting(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

struct Setup {
    std::unique_ptr<Model> model;
    std::unique_ptr<Backend> backend;
    std::vector<std::int32_t> ids;
    std::int64_t chunk = 0;
    std::vector<float> sink;  // the consumer's output

    static Setup& get() {
        static Setup s;
        return s;
    }
    Setup() {
        model = Model::load(
            setting("DNASSM_BENCH_MODEL", DNASSM_SOURCE_DIR "/data/models/dnassm-mamba-small"));
        set_num_threads(static_cast<int>(std::thread::hardware_concurrency()));
        backend = make_backend(setting("DNASSM_BENCH_DEVICE", "auto"));
        chunk = std::stoll(setting("DNASSM_BENCH_CHUNK", "1048576"));
        ids.resize(static_cast<size_t>(std::stoll(setting("DNASSM_BENCH_BASES", "4194304"))));
        std::mt19937 rng(7);
        for (auto& id : ids) id = token::kA + static_cast<std::int32_t>(rng() % 4);
    }
    void consume(const Tensor& rows) {
        sink.resize(static_cast<size_t>(rows.numel()));
        std::memcpy(sink.data(), rows.f32(), sink.size() * sizeof(float));
        benchmark::DoNotOptimize(sink.data());
    }
};

void label(benchmark::State& st, Setup& s) {
    st.counters["bases_per_s"] = benchmark::Counter(static_cast<double>(s.ids.size()),
                                                    benchmark::Counter::kIsIterationInvariantRate);
    st.SetLabel(s.backend->name() + ", " + s.model->info().family + " d_model " +
                std::to_string(s.model->info().d_model) + ", chunk " + std::to_string(s.chunk));
}

// range(0): 0 = hidden states wanted, 1 = only logits
void BM_OneAtATime(benchmark::State& st) {
    Setup& s = Setup::get();
    const bool logits = st.range(0) != 0;
    const auto L = static_cast<std::int64_t>(s.ids.size());
    for (auto _ : st) {
        auto state = s.model->new_state();
        for (std::int64_t t = 0; t < L; t += s.chunk) {
            const std::span<const std::int32_t> part(s.ids.data() + t,
                                                     static_cast<size_t>(std::min(s.chunk, L - t)));
            const Tensor h = s.model->forward(*s.backend, part, state.get());
            s.consume(logits ? s.model->logits(*s.backend, h) : h);
        }
    }
    label(st, s);
}

void BM_Pipelined(benchmark::State& st) {
    Setup& s = Setup::get();
    const bool logits = st.range(0) != 0;
    RunOptions o;
    o.chunk = s.chunk;
    for (auto _ : st)
        run_sequence(*s.model, *s.backend, s.ids, o, nullptr, {.hidden = !logits, .logits = logits},
                     [&](const RowBlock& b) { s.consume(logits ? b.logits : b.hidden); });
    label(st, s);
}

}  // namespace

BENCHMARK(BM_OneAtATime)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Pipelined)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
