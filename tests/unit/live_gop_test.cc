// What a worker keeps of a camera's stream for its next live viewer (ingest/live_gop.h).
#include "ingest/live_gop.h"

#include <gtest/gtest.h>

namespace xl::ingest {
namespace {

EncodedUnit Unit(const std::string& data, bool key) {
  return {reinterpret_cast<const uint8_t*>(data.data()), data.size(), 0, 0, key, "h264"};
}

std::vector<std::string> Kept(const LiveGop& gop) {
  std::vector<std::string> out;
  for (const auto& u : gop.units()) out.push_back(u.data);
  return out;
}

TEST(LiveGop, KeepsTheUnitsSinceTheLastKeyframe) {
  LiveGop gop;
  gop.Add(Unit("p0", false));
  EXPECT_TRUE(gop.units().empty()) << "nothing before the first keyframe";
  gop.Add(Unit("k1", true));
  gop.Add(Unit("p1", false));
  EXPECT_EQ(Kept(gop), (std::vector<std::string>{"k1", "p1"}));
  EXPECT_TRUE(gop.units().front().keyframe);
  gop.Add(Unit("k2", true));
  gop.Add(Unit("p2", false));
  EXPECT_EQ(Kept(gop), (std::vector<std::string>{"k2", "p2"}));
}

TEST(LiveGop, AGopPastTheBoundIsDroppedUntilTheNextKeyframe) {
  LiveGop gop;
  const std::string big(LiveGop::kMaxBytes / 2, 'x');
  gop.Add(Unit(big, true));
  gop.Add(Unit(big, false));
  gop.Add(Unit(big, false));  // past the bound
  EXPECT_TRUE(gop.units().empty());
  gop.Add(Unit("p", false));
  EXPECT_TRUE(gop.units().empty());
  gop.Add(Unit("k", true));
  EXPECT_EQ(Kept(gop), (std::vector<std::string>{"k"}));
}

}  // namespace
}  // namespace xl::ingest
