#include <iostream>

#include "runner/cli.h"

int main(int argc, char** argv) { return torchsweep::run_cli(argc, argv, std::cout, std::cerr); }
