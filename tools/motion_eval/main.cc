// xl-motion-eval: the motion detectors on the evaluation set (tools/motion_eval/eval_set.h),
// one row per clip and detector: recall of object frames and of object passes, false events
// per hour, the largest share of the view suppressed.
//   xl-motion-eval [--fixtures DIR] [--clip NAME] [--write-frames DIR] [--motion YAML]
// --motion sets the adaptive detector's options as a camera's `motion` key does
// ('{busy_share: 0.2}'); the classic detector always runs with its defaults.
// DIR defaults to $XL_FIXTURES, then ~/.cache/xueliang-fixtures (deploy/fixtures.sh fills it).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>

#include <yaml-cpp/yaml.h>

#include "proto/camera/camera_config.h"
#include "tools/motion_eval/clip_score.h"

using namespace xl;

int main(int argc, char** argv) {
  std::string fixtures, only, frames_dir, motion = "{}";
  if (const char* env = std::getenv("XL_FIXTURES")) fixtures = env;
  if (fixtures.empty() && std::getenv("HOME"))
    fixtures = std::string(std::getenv("HOME")) + "/.cache/xueliang-fixtures";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--fixtures" && i + 1 < argc) fixtures = argv[++i];
    else if (arg == "--clip" && i + 1 < argc) only = argv[++i];
    else if (arg == "--write-frames" && i + 1 < argc) frames_dir = argv[++i];
    else if (arg == "--motion" && i + 1 < argc) motion = argv[++i];
    else {
      std::fprintf(stderr,
                   "usage: xl-motion-eval [--fixtures DIR] [--clip NAME] [--write-frames DIR] [--motion YAML]\n");
      return 2;
    }
  }
  std::string error;
  std::unique_ptr<motion_eval::EvalSet> set = motion_eval::EvalSet::Load(fixtures, &error);
  if (!set) {
    std::fprintf(stderr, "xl-motion-eval: %s\n", error.c_str());
    return 1;
  }
  analytics::MotionConfig adaptive, classic;
  try {
    adaptive = camera::ParseDefaults(YAML::Load("{motion: " + motion + "}")).analytics.motion;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "xl-motion-eval: --motion: %s\n", e.what());
    return 2;
  }
  adaptive.algorithm = "adaptive";
  classic.algorithm = "classic";
  std::printf("%-10s %-9s %12s %12s %8s %15s %11s %11s\n", "clip", "detector", "frame recall", "pass recall", "events",
              "false events/h", "wolf frames", "suppressed");
  bool found = false;
  for (const motion_eval::EvalClip& clip : set->clips()) {
    if (!only.empty() && clip.name != only) continue;
    found = true;
    // --write-frames: one frame a second as PNG, truth in blue, adaptive boxes in green,
    // classic in red.
    motion_eval::SeenFrame write;
    if (!frames_dir.empty()) {
      write = [&](const motion_eval::EvalFrame& f, const std::vector<analytics::MotionResult>& results) {
        if (f.time_ms % 1000) return;
        cv::Mat shown = f.bgr.clone();
        for (const motion_eval::Truth& t : f.objects) cv::rectangle(shown, t.box, {255, 0, 0}, 2);
        for (const analytics::MotionBox& b : results[0].boxes) cv::rectangle(shown, b.rect, {0, 255, 0}, 1);
        for (const analytics::MotionBox& b : results[1].boxes) cv::rectangle(shown, b.rect, {0, 0, 255}, 1);
        cv::imwrite(frames_dir + "/" + clip.name + "-" + std::to_string(f.time_ms / 1000) + ".png", shown);
      };
    }
    const std::vector<motion_eval::ClipScore> scores = motion_eval::ScoreClip(*set, clip, {adaptive, classic}, write);
    const char* names[] = {"adaptive", "classic"};
    for (size_t i = 0; i < scores.size(); ++i) {
      const motion_eval::ClipScore& s = scores[i];
      char passes[32] = "-";
      if (s.passes) std::snprintf(passes, sizeof passes, "%d/%d %.2f", s.passes_raised, s.passes, s.pass_recall());
      std::printf("%-10s %-9s %12.2f %12s %8d %15.0f %11.2f %11.2f\n", clip.name.c_str(), names[i], s.frame_recall(),
                  passes, s.events, s.false_per_hour(), s.wolf_share(), s.max_suppressed);
    }
    std::fflush(stdout);
  }
  if (!found) {
    std::fprintf(stderr, "xl-motion-eval: no clip named '%s'\n", only.c_str());
    return 1;
  }
  return 0;
}
