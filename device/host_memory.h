// How the process's heap treats the large, short-lived buffers tensors live in on the
// host. A program that trains calls keep_freed_host_memory() once, at its start.
#pragma once

namespace torchsweep {

/// Serves every host allocation from the heap and keeps what is freed there for the
/// next, instead of glibc's default of mapping each large buffer (over 128 KiB, rising to
/// 32 MiB) afresh and unmapping it when freed. A tensor's buffer is freed and asked for
/// again at every step and every evaluation batch; a fresh mapping costs a page fault
/// per 4 KiB page, and on the CPU those faults, not the arithmetic, dominated evaluation
/// (bench/README.md: the seed CNN's evaluation of 10,000 images in batches of 1,000, 43 MB
/// a layer, went from about 6 s to under 0.5 s on a 2-core virtual machine). The cost is
/// that the process keeps its peak heap until it ends, as PyTorch's CUDA allocator keeps
/// device memory. Numbers do not change. Returns false where the C library refused.
bool keep_freed_host_memory();

}  // namespace torchsweep
