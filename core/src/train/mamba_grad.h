// Internal (training, issue B): forward with saved activations and the backward sweep of a
// Mamba-1 model (MODELS.md §2.2/§4.3) on any Backend ("cpu-ref" = double accumulation, the oracle
// of the gradient checks; "cpu" or CUDA for training). Heads (LM, task heads) sit on top.
#pragma once

#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "model/mamba.h"
#include "train/trainable.h"

namespace dnassm {

/// Training runs every op through a Backend: "cpu" (training), "cpu-ref" (naive double ops, the
/// oracle of the gradient checks) or CUDA.

/// Saved activations of one Mamba mixer (MODELS.md §2.2) run on h {L, D} and the op arguments
/// built from them, reused by backward; `out` {L, D} is the mixer's output.
struct MixerActs {
    Tensor h, xz, xc, xdbl, dt, y, out;
    LinearArgs in_proj, x_proj, dt_proj, out_proj;
    CausalConv1dArgs conv;
    SelectiveScanArgs scan;
};

/// A mixer forward keeping its activations (h is shared, not copied).
MixerActs mamba_mixer_tape(const MambaConfig& c,
                           const MambaMixerWeights& m,
                           const Tensor& h,
                           Backend& be);

/// Backward of one mixer from dout {L, D}; adds d/dh into dh {L, D} and the parameter gradients
/// under prefix + "in_proj.weight", ..., prefix + "A" (d/dA; see mamba_parameter_grads).
void mamba_mixer_backward(const MambaConfig& c,
                          const MambaMixerWeights& m,
                          const MixerActs& a,
                          const float* dout,
                          float* dh,
                          const std::string& prefix,
                          const GradSink& grad,
                          Backend& be);

/// Saved activations of one block: its input, the norm's output and the mixer's activations.
struct LayerActs {
    Tensor x_in, h;
    NormArgs norm;
    MixerActs mixer;
};

/// Everything one forward pass keeps for backward: per-block activations, the final residual
/// stream and (TrainTape::hidden) the final-norm output {L, D}, what heads read.
struct MambaTape : TrainTape {
    std::vector<LayerActs> layers;  // per block, unless recompute
    std::vector<Tensor> inputs;     // recompute: each block's input only
    bool recompute = false;
    Tensor x;
    NormArgs final_norm;
    Backend* backend = nullptr;
};

/// Forward pass keeping activations, on `be` (which backward uses too). With
/// recompute, only each block's input is kept and backward recomputes the block (activation
/// checkpointing: memory ~L·D per block instead of ~L·(3D + 5E) at ~1.3x the compute).
MambaTape mamba_forward_tape(const MambaModel& model,
                             std::span<const std::int32_t> ids,
                             Backend& be,
                             bool recompute = false);

/// Backward from d loss / d hidden {L, D} through the final norm, every block and the
/// embedding; gradients are ADDED into `grads` by canonical name (see mamba_lm_loss).
void mamba_backward(const MambaModel& model,
                    const MambaTape& tape,
                    std::span<const std::int32_t> ids,
                    const float* dhidden,
                    std::map<std::string, Tensor>& grads);

/// Renames/rescales gradients for the optimiser: "layers.i.mixer.A" (d/dA) becomes
/// "layers.i.mixer.A_log" (the trained parameter); the rest pass through. The rescaling runs on
/// `be`, the gradients' backend.
std::map<std::string, Tensor> mamba_parameter_grads(const MambaModel& model,
                                                    std::map<std::string, Tensor> grads,
                                                    Backend& be);

/// The same for any model: `A_of(name)` gives the A tensor that the gradient "<...>.A" refers to.
std::map<std::string, Tensor> a_log_grads(
    std::map<std::string, Tensor> grads,
    Backend& be,
    const std::function<const Tensor&(const std::string&)>& A_of);

}  // namespace dnassm
