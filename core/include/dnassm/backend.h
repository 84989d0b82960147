// dnassm::Backend — the set of compute ops a model needs, one implementation per device.
//
// Ops take POD argument structs (pointers, sizes, element strides) built by the model code; the
// backend validates nothing the model already guarantees. Layouts are time-major: a sequence of
// L positions with C channels is {L, C} with row stride ld >= C. Shapes use MODELS.md's symbols.
// Every op writes only its outputs and is deterministic for any thread count.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dnassm {

class Tensor;  // dnassm/tensor.h (C++20), which the CUDA sources (C++17) do not include

/// y{M, N} = x{M, K} · W{N, K}^T + bias{N}   (PyTorch nn.Linear; bias may be null).
struct LinearArgs {
    std::int64_t M = 0, K = 0, N = 0;
    const float* x = nullptr;
    std::int64_t ld_x = 0;
    const float* weight = nullptr;  // {N, K}, contiguous
    const float* bias = nullptr;    // {N} or null
    float* y = nullptr;
    std::int64_t ld_y = 0;
    bool accumulate = false;  // y += instead of y =
};

enum class NormKind { kRms, kLayer };

/// Per-row normalisation over D channels: RMSNorm y = x·rsqrt(mean(x²)+eps)·w, or
/// LayerNorm y = (x−mean)·rsqrt(var+eps)·w + b (biased variance). x and y are {rows, D}.
struct NormArgs {
    NormKind kind = NormKind::kRms;
    std::int64_t rows = 0, D = 0;
    const float* x = nullptr;
    const float* weight = nullptr;  // {D}
    const float* bias = nullptr;    // {D} or null (LayerNorm)
    float eps = 1e-5f;
    float* y = nullptr;
};

/// Causal depthwise conv over time with W taps (PyTorch Conv1d(groups=E, padding=W−1)[..., :L]):
/// y[t, e] = act(bias[e] + Σ_k weight[e, k] · x[t − (W−1) + k, e]),   act = SiLU or identity.
/// `state` {E, W} holds the last W inputs before this chunk (oldest first, zeros at the start of a
/// sequence; mamba_ssm's conv_state) and is updated to the last W inputs after it. Null = zeros.
struct CausalConv1dArgs {
    std::int64_t L = 0, E = 0, W = 0;
    const float* x = nullptr;  // {L, E}
    std::int64_t ld_x = 0;
    const float* weight = nullptr;  // {E, W}
    const float* bias = nullptr;    // {E} or null
    float* state = nullptr;         // {E, W} in/out, or null
    bool silu = true;
    float* y = nullptr;  // {L, E}
    std::int64_t ld_y = 0;
};

/// Mamba-1 selective scan with real A and time-varying B, C (MODELS.md §2.2):
///   delta = softplus(delta + delta_bias);  s_t = exp(delta·A) ⊙ s_{t−1} + delta·B_t·u_t
///   y_t = C_t·s_t + D·u_t;  out_t = y_t · silu(z_t)  (when z is given)
/// `state` {E, N}: initial state in (zeros when null) and final state out.
struct SelectiveScanArgs {
    std::int64_t L = 0, E = 0, N = 0;
    const float* u = nullptr;  // {L, E}
    std::int64_t ld_u = 0;
    const float* delta = nullptr;  // {L, E}, before bias and softplus
    std::int64_t ld_delta = 0;
    const float* A = nullptr;  // {E, N}, A = −exp(A_log)
    const float* B = nullptr;  // {L, N}
    std::int64_t ld_B = 0;
    const float* C = nullptr;  // {L, N}
    std::int64_t ld_C = 0;
    const float* D = nullptr;           // {E} or null
    const float* delta_bias = nullptr;  // {E} or null
    bool delta_softplus = true;
    const float* z = nullptr;  // {L, E} or null
    std::int64_t ld_z = 0;
    float* state = nullptr;  // {E, N} in/out, or null
    float* y = nullptr;      // {L, E}
    std::int64_t ld_y = 0;
    /// bfloat16 storage: u, delta, B, C, z and y are held as bfloat16 (rounded to nearest even)
    /// with fp32 arithmetic and state, as a bf16 model would run; the CUDA kernel then reads and
    /// writes half the bytes. The pointers stay float (the values are rounded on the way in).
    bool bf16 = false;
};

/// Hyena order-2 long convolution with its output gate and implicit filter (MODELS.md §1.5,
/// fused as in §6.3):
///   k[j, d] = (basis[j] · filter_w[d]) · (exp(−t[j]·|deltas[d]|) + shift)   (no modulation when
///             deltas is null)
///   y[t, d] = x0[t, d] · ( Σ_{j<=t} k[j, d] · w[t−j, d] + bias[d] · w[t, d] )
/// where w = v ⊙ x1 is the gated input. Exact linear (not circular) convolution. The filter is
/// evaluated here from its L × F basis (the implicit MLP's last hidden layer) so that no L × D
/// filter is ever stored. y may alias x0.
/// A backend that caches_hyena_filters() also takes the filter's spectrum from an earlier call
/// (`spectrum`: then basis, filter_w, t and deltas are not read) or hands back the one it computes
/// (`spectrum_out`): D × (n/2 + 1) complex values, channel-major, n = long_conv_fft_size(L).
struct HyenaConvArgs {
    std::int64_t L = 0, D = 0, F = 0;
    const float* x0 = nullptr;        // {L, D}
    const float* w = nullptr;         // {L, D}
    const float* basis = nullptr;     // {L, F}
    const float* filter_w = nullptr;  // {D, F}
    const float* t = nullptr;         // {L}
    const float* deltas = nullptr;    // {D} or null
    float shift = 0.0f;
    const float* bias = nullptr;                 // {D}
    float* y = nullptr;                          // {L, D}
    const float* spectrum = nullptr;             // host memory, or null
    std::vector<float>* spectrum_out = nullptr;  // or null
};

/// y{L, D} = table{V, D}[ids[t]]; every id must be < V.
struct EmbeddingArgs {
    std::int64_t L = 0, V = 0, D = 0;
    const std::int32_t* ids = nullptr;
    const float* table = nullptr;
    float* y = nullptr;
};

// ---- Backward (training, issues B/C2) ----
// Each backward op takes the forward arguments exactly as given to the forward op (a state
// pointer = the INITIAL state, read only; y is not read) and ACCUMULATES (+=) into the gradient
// outputs it is given; a null output is not computed.

/// Selective-scan gradients (MODELS.md §4.3). dy {L, E}: gradient of the (gated) output;
/// dstate_final {E, N} or null. du, ddelta (w.r.t. the raw delta before bias/softplus), dz
/// {L, E}; dA {E, N}; dB, dC {L, N}; dD, ddelta_bias {E}; dstate_init {E, N}.
struct SelectiveScanGrads {
    const float* dy = nullptr;
    const float* dstate_final = nullptr;
    float *du = nullptr, *ddelta = nullptr, *dz = nullptr, *dA = nullptr, *dB = nullptr,
          *dC = nullptr, *dD = nullptr, *ddelta_bias = nullptr, *dstate_init = nullptr;
};

/// Causal depthwise conv (+ optional SiLU) gradients: dy {L, E}; dx {L, E}, dweight {E, W},
/// dbias {E}, dstate_init {E, W} (gradient of the carried inputs).
struct CausalConv1dGrads {
    const float* dy = nullptr;
    float *dx = nullptr, *dweight = nullptr, *dbias = nullptr, *dstate_init = nullptr;
};

/// Fused Hyena long-conv gradients (MODELS.md §6.4): with g = dy ⊙ x0,
/// dw[t] = Σ_{s>=t} g[s] k[s−t] + bias·g[t], dk[j] = Σ_{t>=j} g[t] w[t−j], dbias = Σ_t g[t] w[t],
/// dx0 = dy ⊙ (conv + bias·w); dk is carried back through the modulation into the filter basis
/// and the filter projection (t and deltas have no gradient).
struct HyenaConvGrads {
    const float* dy = nullptr;
    float *dx0 = nullptr, *dw = nullptr, *dbasis = nullptr, *dfilter_w = nullptr, *dbias = nullptr;
};

/// dst[r, c] = src[flip_rows ? rows−1−r : r, flip_cols ? cols−1−c : c] over a rows × cols block,
/// rows ld_src and ld_dst floats apart; src and dst do not overlap. Column slices, and
/// Caduceus's flips over length (and channels).
struct CopyBlockArgs {
    std::int64_t rows = 0, cols = 0;
    const float* src = nullptr;
    std::int64_t ld_src = 0;
    float* dst = nullptr;
    std::int64_t ld_dst = 0;
    bool flip_rows = false, flip_cols = false;
};

/// One AdamW update of n parameters (decoupled weight decay), in double precision:
///   g = grad·clip; m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
///   p −= lr·weight_decay·p (when decay); p −= lr·(m/bc1) / (sqrt(v/bc2) + eps).
struct AdamWArgs {
    std::int64_t n = 0;
    float* param = nullptr;
    const float* grad = nullptr;
    float *m = nullptr, *v = nullptr;  // moment estimates, updated in place
    double lr = 0, beta1 = 0.9, beta2 = 0.95, eps = 1e-8, weight_decay = 0;
    double clip = 1;          // gradient scale from global-norm clipping
    double bc1 = 1, bc2 = 1;  // bias corrections 1 − β^t
    bool decay = false;
};

/// A copy of an activation to host memory, started by Backend::download_async. Destroying it
/// waits for the copy first.
class PendingDownload {
  public:
    virtual ~PendingDownload() = default;
    /// Waits for the copy and returns the host tensor (call once).
    [[nodiscard]] virtual Tensor wait() = 0;
};

/// A PendingDownload with nothing to wait for: `host` already is host memory.
[[nodiscard]] std::unique_ptr<PendingDownload> ready_download(const Tensor& host);

class Backend {
  public:
    virtual ~Backend() = default;
    /// "cpu", "cpu-ref", "cuda:0".
    [[nodiscard]] virtual std::string name() const = 0;

    virtual void linear(const LinearArgs& a) = 0;
    virtual void norm(const NormArgs& a) = 0;
    virtual void causal_conv1d(const CausalConv1dArgs& a) = 0;
    virtual void selective_scan(const SelectiveScanArgs& a) = 0;
    virtual void embedding(const EmbeddingArgs& a) = 0;
    virtual void hyena_conv(const HyenaConvArgs& a) = 0;
    /// x += y, elementwise over n floats.
    virtual void add_inplace(float* x, const float* y, std::int64_t n) = 0;
    /// x *= y, elementwise over n floats.
    virtual void mul_inplace(float* x, const float* y, std::int64_t n) = 0;
    virtual void copy_block(const CopyBlockArgs& a) = 0;
    /// x = gelu_tanh(x) = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), elementwise.
    virtual void gelu_tanh_inplace(float* x, std::int64_t n) = 0;
    /// y{rows, cols} = sin(freq{cols} ⊙ x{rows, cols}): HyenaDNA's Sin activation with its shared
    /// per-column frequency. y may alias x.
    virtual void sin_activation(
        const float* x, const float* freq, std::int64_t rows, std::int64_t cols, float* y) = 0;
    /// HyenaDNA's gates on the short conv's output uc {n, 3D}: x0 = uc[:, 0:D] and
    /// w = uc[:, 2D:3D] ⊙ uc[:, D:2D], both {n, D}.
    virtual void hyena_gates(
        const float* uc, std::int64_t n, std::int64_t D, float* x0, float* w) = 0;

    /// Activations that stay with this backend from op to op, uninitialised: device memory on a
    /// GPU (the ops then read and write them in place, with no host copies), host memory on the
    /// CPU. Host code reads them only through download(). Every op also takes host pointers.
    [[nodiscard]] virtual Tensor activation(std::vector<std::int64_t> shape) = 0;
    /// Whether activation() hands out device memory (a GPU) rather than host memory.
    [[nodiscard]] virtual bool activations_on_device() const = 0;
    /// Whether ops may be called from several threads at once, each call then running on its
    /// caller's thread (the CPU backends); a GPU backend orders every op on one stream.
    [[nodiscard]] virtual bool concurrent_calls() const { return false; }
    /// Whether hyena_conv takes and hands back filter spectra (HyenaConvArgs::spectrum): the fast
    /// CPU backend, where a model keeps them across windows of one length.
    [[nodiscard]] virtual bool caches_hyena_filters() const { return false; }
    /// host[0, n) = src[0, n), where src is an activation or host memory.
    virtual void download(const float* src, float* host, std::int64_t n) = 0;
    /// Starts copying `src` (an activation, or host memory) to new host memory and returns without
    /// waiting for the ops queued before it: on a GPU the copy runs on a stream of its own once
    /// they are done, so the host can queue the next window's ops meanwhile. `src` is kept alive
    /// until the copy has finished. The CPU backends hand `src` itself back.
    [[nodiscard]] virtual std::unique_ptr<PendingDownload> download_async(const Tensor& src) = 0;
    /// dst[0, n) = host[0, n), where dst is an activation or host memory.
    virtual void upload(const float* host, float* dst, std::int64_t n) = 0;
    /// x[0, n) = 0 (an activation or host memory).
    virtual void zero(float* x, std::int64_t n) = 0;

    /// Host tensors (a model's weights) that a GPU backend may keep a device copy of between ops:
    /// an op given a pointer into one of them reads that copy instead of copying host memory
    /// again. The backend holds the tensors (their memory stays valid) until the next call, which
    /// replaces the set. Changing their values on the host must be followed by weights_changed()
    /// before the next op; an op that writes into one of them (adamw_update) needs none. The CPU
    /// backends ignore both.
    virtual void keep_weights(const std::vector<Tensor>& weights) { (void)weights; }
    virtual void weights_changed() {}

    /// y = x W^T + b: dx {M, K} += dy W; dweight {N, K} += dy^T x; dbias {N} += Σ_rows dy.
    virtual void linear_backward(
        const LinearArgs& fwd, const float* dy, float* dx, float* dweight, float* dbias) = 0;
    /// dx {rows, D}, dweight and dbias {D} of RMSNorm / LayerNorm.
    virtual void norm_backward(
        const NormArgs& fwd, const float* dy, float* dx, float* dweight, float* dbias) = 0;
    virtual void causal_conv1d_backward(const CausalConv1dArgs& fwd,
                                        const CausalConv1dGrads& g) = 0;
    virtual void selective_scan_backward(const SelectiveScanArgs& fwd,
                                         const SelectiveScanGrads& g) = 0;
    virtual void hyena_conv_backward(const HyenaConvArgs& fwd, const HyenaConvGrads& g) = 0;
    /// x = gelu_tanh(x_in): dx += dy · gelu'(x_in), elementwise over n floats.
    virtual void gelu_tanh_backward(const float* x_in,
                                    const float* dy,
                                    float* dx,
                                    std::int64_t n) = 0;
    /// hyena_gates backward: duc{n, 3D} += [dx0 | dw ⊙ v | dw ⊙ x1], where uc = [x0 | x1 | v].
    virtual void hyena_gates_backward(const float* uc,
                                      const float* dx0,
                                      const float* dw,
                                      std::int64_t n,
                                      std::int64_t D,
                                      float* duc) = 0;
    /// y = sin(freq ⊙ x) backward: dx{rows, cols} += dy·freq·cos(freq·x) and
    /// dfreq{cols} += Σ_rows dy·x·cos(freq·x), summed in double in a fixed order (either output
    /// may be null).
    virtual void sin_activation_backward(const float* x,
                                         const float* freq,
                                         const float* dy,
                                         std::int64_t rows,
                                         std::int64_t cols,
                                         float* dx,
                                         float* dfreq) = 0;
    /// dtable{V, D} += dy[t] into row ids[t] for every t (dy rows ld_dy apart): the embedding's
    /// backward.
    virtual void embedding_backward(const EmbeddingArgs& fwd,
                                    const float* dy,
                                    std::int64_t ld_dy,
                                    float* dtable) = 0;
    /// Next-token cross-entropy over logits{L, V}: the mean over t < L−1 of
    /// −log softmax(row t)[ids[t+1]], accumulated in double; dlogits{L, V} (null: not wanted) is
    /// its gradient, last row zero. Returns the loss.
    virtual double next_token_loss(const float* logits,
                                   std::int64_t L,
                                   std::int64_t V,
                                   const std::int32_t* ids,
                                   float* dlogits) = 0;
    virtual void adamw_update(const AdamWArgs& a) = 0;

    /// Autocast for training (`--bf16`, as torch.autocast with bfloat16): while on, linear and
    /// linear_backward round their matrix inputs (x, weight, dy) to bfloat16, nearest even, and
    /// accumulate in fp32; on a GPU these are tensor-core GEMMs. Every other op, the weights (the
    /// fp32 masters), the gradients and the bias sums stay fp32.
    virtual void set_bf16_gemms(bool on) { bf16_gemms_ = on; }
    [[nodiscard]] bool bf16_gemms() const { return bf16_gemms_; }

  private:
    bool bf16_gemms_ = false;
};

/// Names of the backends this build can run here, best first ("cpu", "cpu-ref"; CUDA when built
/// and a device is usable).
[[nodiscard]] std::vector<std::string> available_backends();
/// Whether CUDA can be used here, in words ("1 CUDA device(s)", "no NVIDIA driver ...").
[[nodiscard]] std::string cuda_status();
/// "auto" picks the first available (CUDA device 0 when usable, else "cpu"). Throws Error(kUsage)
/// naming the alternatives otherwise.
[[nodiscard]] std::unique_ptr<Backend> make_backend(const std::string& name);

}  // namespace dnassm
