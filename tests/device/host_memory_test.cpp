#include "device/host_memory.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>

namespace {

#if defined(__GLIBC__)

/// What glibc itself reports: `hblks` counts the allocations mapped on their own,
/// `fordblks` the free bytes the heap holds for later allocations.
TEST(HostMemoryTest, ALargeBufferComesFromTheHeapAndIsKeptThereWhenFreed) {
  ASSERT_TRUE(torchsweep::keep_freed_host_memory());
  constexpr size_t kBytes = size_t{64} << 20;  // over glibc's largest mapping threshold (32 MiB)
  const struct mallinfo2 before = mallinfo2();
  auto* buffer = static_cast<char*>(std::malloc(kBytes));
  ASSERT_NE(buffer, nullptr);
  std::memset(buffer, 1, kBytes);
  const struct mallinfo2 held = mallinfo2();
  EXPECT_EQ(held.hblks, before.hblks) << "not a mapping of its own";
  EXPECT_GE(held.uordblks, before.uordblks + kBytes) << "in the heap";
  std::free(buffer);
  const struct mallinfo2 freed = mallinfo2();
  EXPECT_GE(freed.fordblks, kBytes) << "kept for the next buffer, not returned to the system";
  EXPECT_GE(freed.arena, held.arena);
  // The next buffer of that size is served from what was kept: the heap does not grow.
  auto* again = static_cast<char*>(std::malloc(kBytes));
  ASSERT_NE(again, nullptr);
  std::memset(again, 2, kBytes);
  EXPECT_EQ(mallinfo2().arena, freed.arena);
  std::free(again);
}

#endif

}  // namespace
