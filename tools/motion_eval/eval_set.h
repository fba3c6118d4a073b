// The motion evaluation set: clips whose truth is known in every frame, built from the real
// fixtures (deploy/fixtures.sh). A walker cut out of vtest.avi is composited along known
// paths onto real backgrounds — a still street, tree.avi in wind, a street with a screen in
// view, lights switching, an IR switch, rain, a subject filling the view — plus the untouched
// clips (vtest.avi's pedestrians, found against its median background; tree.avi's hand).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace xl::motion_eval {

// An object truly in view in one frame.
struct Truth {
  int pass = 0;  // which pass of the clip (object passes are numbered from 0)
  cv::Rect box;  // where it is; empty: somewhere in view (a hand-labelled interval)
};

struct EvalFrame {
  cv::Mat bgr;  // kAnalysisHeight high
  int64_t time_ms = 0;
  std::vector<Truth> objects;
};

struct EvalClip {
  std::string name;
  std::string what;       // one line for the table
  bool busy = false;      // something in view changes all the time
  bool nuisance = false;  // lights, IR, rain, leaves: the detector must cry wolf less than classic
  int passes = 0;         // object passes (0: truth per frame without passes)
};

constexpr int kAnalysisHeight = 360;  // as the worker analyses by default
constexpr double kAnalysisFps = 5;

class EvalSet {
 public:
  // Loads the fixtures the clips are made of from `fixtures_dir`; null with `error` set
  // when one is missing or unreadable.
  static std::unique_ptr<EvalSet> Load(const std::string& fixtures_dir, std::string* error);

  const std::vector<EvalClip>& clips() const { return clips_; }

  // Plays clip `name` frame by frame, at kAnalysisFps. Same frames on every call.
  void Play(const std::string& name, const std::function<void(const EvalFrame&)>& on_frame) const;

 private:
  EvalSet() = default;
  void PlayComposited(const std::string& name, const std::function<void(const EvalFrame&)>& on_frame) const;
  void PlayVtest(const std::function<void(const EvalFrame&)>& on_frame) const;
  void PlayTreeHand(const std::function<void(const EvalFrame&)>& on_frame) const;

  std::string dir_;
  std::vector<EvalClip> clips_;
  cv::Mat street_;               // vtest.avi's median: the street without anyone
  cv::Mat walker_;               // BGR cut-out of one pedestrian
  cv::Mat walker_mask_;          // CV_8U, 255 on the pedestrian
  std::vector<cv::Mat> tree_;    // tree.avi before the hand, at kAnalysisFps
  std::vector<cv::Mat> screen_;  // what the screen shows: vtest.avi frames
};

}  // namespace xl::motion_eval
