# How torchsweep builds against the Torch it found: which C++ standard and which fmt.
# Included by the top-level CMakeLists.txt after find_package(Torch).

# The C++ standard the found Torch needs, read from the check its own headers make
# (torch/all.h: `#if ... __cplusplus < 201703L #error ...`), never below C++17.
# Debian's LibTorch 1.13 asks for C++14; LibTorch 2.x for C++17; newer releases for C++20.
function(torchsweep_torch_cxx_standard out_var)
  set(standard 17)
  foreach(dir IN LISTS TORCH_INCLUDE_DIRS)
    if(EXISTS "${dir}/torch/all.h")
      file(STRINGS "${dir}/torch/all.h" checks REGEX "__cplusplus < [0-9]+L")
      foreach(check IN LISTS checks)
        string(REGEX MATCH "__cplusplus < ([0-9][0-9][0-9][0-9])" _ "${check}")
        set(year ${CMAKE_MATCH_1})
        if(year GREATER_EQUAL 2023)
          set(needed 23)  # cxx_std_23 needs CMake 3.20, as such a Torch will
        elseif(year GREATER_EQUAL 2020)
          set(needed 20)
        else()
          set(needed 17)
        endif()
        if(needed GREATER standard)
          set(standard ${needed})
        endif()
      endforeach()
    endif()
  endforeach()
  set(${out_var} ${standard} PARENT_SCOPE)
endfunction()

# fmt: exactly one version in every binary. The official LibTorch 2.x binaries bundle
# fmt's headers in their own include folder; since that folder is on every compile
# line, those headers would shadow the system's while the objects linked the system's
# libfmt, mixing two versions in one program. So when Torch bundles fmt, torchsweep
# uses that fmt header-only (FMT_HEADER_ONLY, its include folder first) and links no
# libfmt; otherwise (Debian's LibTorch, whose include folder is the system's) it uses
# the system's fmt package. Sets TORCHSWEEP_FMT_BUNDLED, TORCHSWEEP_FMT_LIBRARIES,
# TORCHSWEEP_FMT_INCLUDE_DIR and TORCHSWEEP_FMT_DEFINITIONS.
function(torchsweep_choose_fmt)
  find_package(fmt QUIET)
  set(system_dirs "")
  if(TARGET fmt::fmt)
    get_target_property(system_dirs fmt::fmt INTERFACE_INCLUDE_DIRECTORIES)
  endif()
  set(bundled "")
  foreach(dir IN LISTS TORCH_INCLUDE_DIRS)
    if(NOT bundled AND EXISTS "${dir}/fmt/format.h")
      get_filename_component(real_dir "${dir}" REALPATH)
      set(is_system OFF)
      foreach(sys IN LISTS system_dirs)
        if(EXISTS "${sys}")
          get_filename_component(real_sys "${sys}" REALPATH)
          if(real_sys STREQUAL real_dir)
            set(is_system ON)
          endif()
        endif()
      endforeach()
      if(NOT is_system)
        set(bundled "${dir}")
      endif()
    endif()
  endforeach()
  if(bundled)
    set(version "")
    foreach(header base.h core.h)
      if(NOT version AND EXISTS "${bundled}/fmt/${header}")
        file(STRINGS "${bundled}/fmt/${header}" line REGEX "^#[ \t]*define FMT_VERSION [0-9]+")
        string(REGEX MATCH "[0-9]+$" version "${line}")
      endif()
    endforeach()
    message(STATUS "torchsweep: fmt ${version} bundled with Torch (${bundled}), header-only")
    set(TORCHSWEEP_FMT_BUNDLED ON PARENT_SCOPE)
    set(TORCHSWEEP_FMT_LIBRARIES "" PARENT_SCOPE)
    set(TORCHSWEEP_FMT_INCLUDE_DIR "${bundled}" PARENT_SCOPE)
    set(TORCHSWEEP_FMT_DEFINITIONS FMT_HEADER_ONLY=1 PARENT_SCOPE)
  elseif(TARGET fmt::fmt)
    message(STATUS "torchsweep: fmt ${fmt_VERSION} from the system")
    set(TORCHSWEEP_FMT_BUNDLED OFF PARENT_SCOPE)
    set(TORCHSWEEP_FMT_LIBRARIES fmt::fmt PARENT_SCOPE)
    set(TORCHSWEEP_FMT_INCLUDE_DIR "" PARENT_SCOPE)
    set(TORCHSWEEP_FMT_DEFINITIONS "" PARENT_SCOPE)
  else()
    message(FATAL_ERROR "torchsweep needs fmt: install it (Debian: libfmt-dev; conda-forge: fmt), "
                        "or build against a LibTorch that bundles it")
  endif()
endfunction()

# Applies the fmt choice to a target that formats with fmt.
function(torchsweep_use_fmt target)
  if(TORCHSWEEP_FMT_INCLUDE_DIR)
    target_include_directories(${target} SYSTEM BEFORE PRIVATE "${TORCHSWEEP_FMT_INCLUDE_DIR}")
  endif()
  target_compile_definitions(${target} PRIVATE ${TORCHSWEEP_FMT_DEFINITIONS})
  target_link_libraries(${target} PRIVATE ${TORCHSWEEP_FMT_LIBRARIES})
endfunction()
