#include <iostream>

#include "cli/cli.h"
#include "device/devices.h"
#include "device/host_memory.h"
#include "results/sqlite.h"

int main(int argc, char** argv) {
  torchsweep::skip_sqlite_memory_statistics();  // this program records runs: see the header
  torchsweep::fix_cublas_workspace();  // before any CUDA work, for deterministic runs
  torchsweep::keep_freed_host_memory();  // before the first tensor: see the header
  return torchsweep::run_cli(argc, argv, std::cout, std::cerr);
}
