// Devices: "auto", "cpu", "cuda", "cuda:N".
#pragma once

#include <torch/torch.h>

#include <string>

namespace torchsweep {

/// Whether `text` names a device this machine has; an explanation when it does not
/// (empty when it does).
std::string check_device(const std::string& text);

/// The device to train on ("auto" picks CUDA when available).
torch::Device resolve_device(const std::string& text);

/// How many CUDA devices this process sees (0 without CUDA).
int cuda_device_count();

/// A human name for the device: the CPU model, or the GPU's name.
std::string device_name(const torch::Device& device);

}  // namespace torchsweep
