#include "tools/motion_eval/clip_score.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>

namespace xl::motion_eval {

bool OnObject(const cv::Rect& box, const Truth& object) {
  if (object.box.empty()) return true;
  const double overlap = (box & object.box).area();
  return overlap >= 0.5 * box.area() || (overlap >= 0.3 * object.box.area() && overlap >= 0.2 * box.area());
}

ClipScorer::ClipScorer(std::unique_ptr<analytics::MotionDetector> detector, int passes)
    : detector_(std::move(detector)),
      events_(analytics::EventConfig{}),
      wolf_events_(analytics::EventConfig{}),
      raised_(size_t(passes), false) {
  score_.passes = passes;
}

analytics::MotionResult ClipScorer::Feed(const EvalFrame& frame, const cv::Mat& grey) {
  if (first_ms_ < 0) first_ms_ = frame.time_ms;
  last_ms_ = frame.time_ms;
  const analytics::MotionResult result = detector_->Detect(grey, frame.time_ms);
  score_.max_suppressed = std::max(score_.max_suppressed, result.suppressed_fraction);
  std::vector<int> seen;  // passes with a box on their object in this frame
  bool any_seen = false;
  for (const Truth& object : frame.objects) {
    const bool on = std::any_of(result.boxes.begin(), result.boxes.end(),
                                [&](const analytics::MotionBox& b) { return OnObject(b.rect, object); });
    any_seen |= on;
    if (on) seen.push_back(object.pass);
  }
  ++score_.frames;
  if (!frame.objects.empty()) {
    ++score_.object_frames;
    score_.detected_frames += any_seen;
  }
  const bool wolf = !result.boxes.empty() && !any_seen;
  score_.wolf_frames += wolf;
  score_.false_events += wolf_events_.Observe(frame.time_ms, wolf) == analytics::EventStep::kStart;
  score_.events += events_.Observe(frame.time_ms, !result.boxes.empty()) == analytics::EventStep::kStart;
  if (events_.open()) {
    for (int p : seen) {
      if (p >= 0 && size_t(p) < raised_.size()) raised_[size_t(p)] = true;
    }
  }
  return result;
}

ClipScore ClipScorer::Finish() {
  score_.passes_raised = int(std::count(raised_.begin(), raised_.end(), true));
  score_.seconds = (last_ms_ - first_ms_) / 1000.0 + 1 / kAnalysisFps;
  return score_;
}

std::vector<ClipScore> ScoreClip(const EvalSet& set, const EvalClip& clip,
                                 const std::vector<analytics::MotionConfig>& configs, const SeenFrame& seen) {
  std::vector<ClipScorer> scorers;
  for (const analytics::MotionConfig& c : configs) scorers.emplace_back(analytics::MakeMotionDetector(c), clip.passes);
  set.Play(clip.name, [&](const EvalFrame& frame) {
    cv::Mat grey;
    cv::cvtColor(frame.bgr, grey, cv::COLOR_BGR2GRAY);
    std::vector<analytics::MotionResult> results;
    for (ClipScorer& s : scorers) results.push_back(s.Feed(frame, grey));
    if (seen) seen(frame, results);
  });
  std::vector<ClipScore> scores;
  for (ClipScorer& s : scorers) scores.push_back(s.Finish());
  return scores;
}

}  // namespace xl::motion_eval
