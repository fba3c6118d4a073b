// vtest.avi (pedestrians, fixed camera) as a camera's encoded stream, held in memory: encoded
// by ffmpeg once per codec per test process (640×360, 10 fps, a keyframe every 2 s, no
// B-frames). ctest runs each test in its own process, in parallel: each encodes into a
// folder of its own. Requires linking xl_camsim_clips and xl_test_process.
#pragma once

#include <gst/gst.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "tests/support/media.h"
#include "tests/support/process.h"
#include "tools/camsim/encoded_clip.h"

namespace xl::test {

inline constexpr double kVtestGopS = 2.0;

inline const camsim::EncodedClip& EncodedVtest(const std::string& codec) {
  static std::map<std::string, camsim::EncodedClip> clips;
  if (!clips.count(codec)) {
    gst_init(nullptr, nullptr);
    const std::string dir = TempDir("vtest-src-" + std::to_string(getpid()));
    const std::string out = dir + "/vtest-" + codec + ".mp4";
    const std::string enc = codec == "h264" ? "libx264 -bf 0" : "libx265 -x265-params log-level=error:bframes=0";
    const std::string cmd = "ffmpeg -v error -y -i '" + Fixture("vtest.avi") +
                            "' -vf scale=640:360,format=yuv420p -r 10 -c:v " + enc + " -preset ultrafast -g 20 -an '" +
                            out + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    auto loaded = camsim::LoadClip(out, {});
    EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.error().message);
    clips[codec] = loaded.ok() ? std::move(loaded.value()) : camsim::EncodedClip{};
    std::filesystem::remove_all(dir);  // the units are in memory now
  }
  return clips[codec];
}

}  // namespace xl::test
