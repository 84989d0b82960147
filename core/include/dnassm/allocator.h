// Process-wide memory allocator settings for the model-running programs.
#pragma once

namespace dnassm {

/// Keeps freed activation buffers in the heap for reuse. By default glibc gives every block over
/// 128 kB its own mmap and returns the top of the heap to the system, so each window's
/// activations are new pages that fault in again, zeroed by the kernel; that took a third of
/// the time of `embed` on 1 Mb and half of `score`'s. Blocks up to 256 MB then come from the heap,
/// which keeps up to 1 GB free at its top. Leaves glibc's settings alone where
/// MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_ is set, and elsewhere than glibc. Returns
/// whether it changed them. Tensors of 8 MB and more do not come from the heap: they are mappings
/// of their own on huge pages, a few of them kept for reuse (tensor.cpp). From the heap, the freed
/// GB-sized activations of a 1 Mb HyenaDNA window stayed resident and raised its peak memory
/// from 3.8 to 4.6 GB.
bool configure_allocator();

}  // namespace dnassm
