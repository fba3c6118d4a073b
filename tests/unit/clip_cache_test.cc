#include "tools/camsim/clip_cache.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/process.h"

namespace xl::camsim {
namespace {

TEST(ClipCache, RoundTripsAndMissesOnOtherOptionsOrDamage) {
  const std::string dir = test::TempDir("clip-cache");
  const std::string source = dir + "/source.avi";
  std::ofstream(source) << "pretend video";
  EncodedClip clip{"h265", 320, 240, {}, 2'000'000'000};
  for (int i = 0; i < 3; ++i) clip.units.push_back({{0, 0, 0, 1, uint8_t(i)}, i * 40, i * 40, 40, i == 0});
  ClipOptions o;
  o.codec = "h265";
  ASSERT_TRUE(WriteCachedClip(dir, source, o, clip).ok());
  auto back = ReadCachedClip(dir, source, o);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->codec, "h265");
  EXPECT_EQ(back->width, 320);
  ASSERT_EQ(back->units.size(), 3u);
  EXPECT_EQ(back->units[2].bytes, clip.units[2].bytes);
  EXPECT_TRUE(back->units[0].keyframe);
  EXPECT_EQ(back->duration_ns, clip.duration_ns);

  ClipOptions other = o;
  other.fps = 5;
  EXPECT_FALSE(ReadCachedClip(dir, source, other).has_value());

  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".clip") std::filesystem::resize_file(entry.path(), 40);  // torn write
  }
  EXPECT_FALSE(ReadCachedClip(dir, source, o).has_value());
}

}  // namespace
}  // namespace xl::camsim
