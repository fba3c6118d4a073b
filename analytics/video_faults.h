// Video-fault diagnosis (视频质量诊断) on the analysed frames of one camera, judged against
// the camera's own baseline learned over its first `learn_s` seconds:
//   covered       the picture has no structure left (lens covered, black picture)
//   frozen        frames arrive but the picture does not change at all
//   blur          sharpness (brightness-independent) far below the baseline
//   brightness    far too dark or too bright against the baseline, or a strong colour cast
//   scene_change  the picture no longer matches the learned scene (camera moved/rotated)
// Each is raised after its condition has held for `raise_s` and ended after it has been
// clear for `clear_s`. A covered picture suppresses the others (it explains them).
// Signal loss (no frames at all) is the camera state machine's to judge, not this class's.
// Not thread-safe: one camera's frames, in order.
#pragma once

#include <opencv2/core.hpp>
#include <vector>

#include "analytics/frame.h"
#include "proto/camera/analytics_settings.h"
#include "xueliang.pb.h"

namespace xl::analytics {

struct FaultChange {
  wire::AlertKind kind;
  bool started;  // false: ended
  double score;  // the measure that decided (kind-specific)
};

class VideoFaultDetector {
 public:
  explicit VideoFaultDetector(FaultConfig config) : config_(config) {}

  // One analysed frame; returns faults that started or ended with it.
  std::vector<FaultChange> Observe(const Frame& frame);
  // Faults open now.
  std::vector<wire::AlertKind> open() const;
  bool learning() const { return learned_frames_ == 0 || !learned_; }

 private:
  struct Fault {
    wire::AlertKind kind;
    bool open = false;
    int64_t since_ms = -1;  // when the current condition (true or false) began
    bool condition = false;
  };
  void Step(Fault& f, bool condition, double score, int64_t now_ms, std::vector<FaultChange>& out) const;

  FaultConfig config_;
  Fault faults_[5] = {{wire::ALERT_KIND_COVERED},
                      {wire::ALERT_KIND_FROZEN},
                      {wire::ALERT_KIND_BLUR},
                      {wire::ALERT_KIND_BRIGHTNESS},
                      {wire::ALERT_KIND_SCENE_CHANGE}};
  int64_t start_ms_ = -1;
  bool learned_ = false;
  int learned_frames_ = 0;
  cv::Mat previous_;   // small grey of the previous frame
  cv::Mat reference_;  // CV_32F learned scene (small, blurred)
  double base_sharpness_ = 0, base_mean_ = 0;
  std::vector<double> sharpness_samples_;
};

}  // namespace xl::analytics
