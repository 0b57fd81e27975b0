#include "device/host_memory.h"

#include <malloc.h>

#include <climits>

namespace torchsweep {

bool keep_freed_host_memory() {
#if defined(__GLIBC__)
  // No allocation is mapped on its own (glibc still maps where the heap cannot grow),
  // and freed memory at the heap's top is returned to the system only past 2 GiB.
  const bool no_mappings = mallopt(M_MMAP_MAX, 0) == 1;
  const bool kept = mallopt(M_TRIM_THRESHOLD, INT_MAX) == 1;
  return no_mappings && kept;
#else
  return true;  // other C libraries keep their own policy
#endif
}

}  // namespace torchsweep
