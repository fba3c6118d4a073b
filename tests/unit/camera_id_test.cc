#include "proto/camera/camera_id.h"

#include <gtest/gtest.h>

namespace xl {

TEST(CameraId, AcceptsTwentyDigits) { EXPECT_TRUE(ValidateCameraId("33010201001320000011").ok()); }

TEST(CameraId, RefusesWrongLengthOrLetters) {
  EXPECT_FALSE(ValidateCameraId("3301020100132000001").ok());
  EXPECT_FALSE(ValidateCameraId("330102010013200000111").ok());
  Status s = ValidateCameraId("3301020100132000001X");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("20-digit"), std::string::npos);
}

TEST(CameraId, RegionIsTheTownCode) { EXPECT_EQ(RegionFromCameraId("33010201001320000011"), "33010201"); }

TEST(CameraId, RegionCodes) {
  EXPECT_TRUE(ValidateRegionCode("330102").ok());
  EXPECT_TRUE(ValidateRegionCode("3301020101").ok());
  EXPECT_FALSE(ValidateRegionCode("33010").ok());
  EXPECT_FALSE(ValidateRegionCode("3301020").ok());
  EXPECT_FALSE(ValidateRegionCode("33010a").ok());
}

TEST(CameraId, PrefixMatchesRegionOrId) {
  EXPECT_TRUE(RegionMatches("", "3301020101", "33010201001320000011"));
  EXPECT_TRUE(RegionMatches("330102", "3301020101", "33010201001320000011"));
  EXPECT_TRUE(RegionMatches("3301020101", "3301020101", "33010201001320000011"));
  EXPECT_FALSE(RegionMatches("3301020102", "3301020101", "33010201001320000011"));
  EXPECT_TRUE(RegionMatches("33010201001320000011", "3301020101", "33010201001320000011"));
  EXPECT_FALSE(RegionMatches("330103", "3301020101", "33010201001320000011"));
}

}  // namespace xl
