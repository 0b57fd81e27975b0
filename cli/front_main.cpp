#include <iostream>

#include "cli/front.h"

int main(int argc, char** argv) { return torchsweep::run_front(argc, argv, std::cout, std::cerr); }
