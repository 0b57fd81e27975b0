#include <iostream>

#include "cli/cli.h"
#include "device/devices.h"

int main(int argc, char** argv) {
  torchsweep::fix_cublas_workspace();  // before any CUDA work, for deterministic runs
  return torchsweep::run_cli(argc, argv, std::cout, std::cerr);
}
