#include <gtest/gtest.h>

#include "device/devices.h"

int main(int argc, char** argv) {
  torchsweep::fix_cublas_workspace();  // as the torchsweep program does

  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
