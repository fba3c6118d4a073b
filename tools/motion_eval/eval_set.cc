#include "tools/motion_eval/eval_set.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "tools/motion_eval/clip_reader.h"

namespace xl::motion_eval {
namespace {

constexpr double kClipS = 92;            // composited clips: six passes, 15 s apart from 5 s on (events end between)
constexpr double kTreeBeforeHandS = 23;  // tree.avi: the hand comes in at about 23.5 s
constexpr double kHandS = 23.5;
constexpr double kVtestS = 60;

// Per-pixel, per-channel median of `frames` (all the same size, CV_8UC3).
cv::Mat Median(const std::vector<cv::Mat>& frames) {
  cv::Mat out(frames[0].size(), CV_8UC3);
  std::vector<uint8_t> v(frames.size());
  const size_t mid = frames.size() / 2;
  for (int y = 0; y < out.rows; ++y) {
    for (int x = 0; x < out.cols * 3; ++x) {
      for (size_t i = 0; i < frames.size(); ++i) v[i] = frames[i].ptr<uint8_t>(y)[x];
      std::nth_element(v.begin(), v.begin() + long(mid), v.end());
      out.ptr<uint8_t>(y)[x] = v[mid];
    }
  }
  return out;
}

// Pixels of `frame` that differ from `background` (any channel by more than 40), cleaned.
cv::Mat Foreground(const cv::Mat& frame, const cv::Mat& background) {
  cv::Mat diff, channels[3], fg;
  cv::absdiff(frame, background, diff);
  cv::split(diff, channels);
  fg = cv::max(channels[0], cv::max(channels[1], channels[2])) > 40;
  cv::morphologyEx(fg, fg, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_ELLIPSE, {3, 3}));
  cv::morphologyEx(fg, fg, cv::MORPH_CLOSE, cv::getStructuringElement(cv::MORPH_ELLIPSE, {7, 7}));
  return fg;
}

// People in `frame` against the empty street: connected areas of a person's size.
std::vector<cv::Rect> People(const cv::Mat& frame, const cv::Mat& street) {
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(Foreground(frame, street), labels, stats, centroids);
  std::vector<cv::Rect> people;
  for (int i = 1; i < n; ++i) {
    const cv::Rect r(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                     stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
    if (stats.at<int>(i, cv::CC_STAT_AREA) >= 150 && r.height >= 20) people.push_back(r);
  }
  return people;
}

// Pastes `sprite` through `alpha` (CV_32F, 0..1) with its top left at `at`, clipped.
void Paste(cv::Mat& frame, const cv::Mat& sprite, const cv::Mat& alpha, cv::Point at) {
  const cv::Rect where = cv::Rect(at, sprite.size()) & cv::Rect(0, 0, frame.cols, frame.rows);
  if (where.empty()) return;
  const cv::Rect from(where.tl() - at, where.size());
  cv::Mat dst = frame(where);
  for (int y = 0; y < where.height; ++y) {
    const float* a = alpha.ptr<float>(from.y + y) + from.x;
    const cv::Vec3b* s = sprite.ptr<cv::Vec3b>(from.y + y) + from.x;
    cv::Vec3b* d = dst.ptr<cv::Vec3b>(y);
    for (int x = 0; x < where.width; ++x) {
      for (int c = 0; c < 3; ++c) d[x][c] = cv::saturate_cast<uint8_t>(a[x] * s[x][c] + (1 - a[x]) * d[x][c]);
    }
  }
}

struct Pass {
  double start_s;
  double seconds;
  double height;  // share of the frame height
  double bottom;  // share of the frame height where its feet are
};

std::vector<Pass> PassesOf(const std::string& clip) {
  if (clip == "close") return {{5, 18, 0.9, 0.98}, {50, 18, 0.9, 0.98}};
  std::vector<Pass> passes;
  for (int k = 0; k < 6; ++k) passes.push_back({5.0 + 15 * k, 6, 0.3, 0.62 + 0.06 * (k % 3)});
  return passes;
}

// Multiplies `frame` by `gain` (CV_32F, one channel) per pixel.
void ApplyGain(cv::Mat& frame, const cv::Mat& gain) {
  cv::Mat f, g3;
  frame.convertTo(f, CV_32FC3);
  cv::merge(std::vector<cv::Mat>{gain, gain, gain}, g3);
  f = f.mul(g3);
  f.convertTo(frame, CV_8UC3);
}

bool Within(double t, std::initializer_list<std::pair<double, double>> spans) {
  for (const auto& [from, to] : spans) {
    if (t >= from && t < to) return true;
  }
  return false;
}

}  // namespace

std::unique_ptr<EvalSet> EvalSet::Load(const std::string& fixtures_dir, std::string* error) {
  std::unique_ptr<EvalSet> set(new EvalSet());
  set->dir_ = fixtures_dir;
  std::vector<cv::Mat> samples, candidates;
  const cv::Size screen_size(176, 120);  // 12 % of the view
  const int n =
      ReadClip(fixtures_dir + "/vtest.avi", kAnalysisFps, kAnalysisHeight, [&](const cv::Mat& bgr, int64_t, int i) {
        if (i % 10 == 0) samples.push_back(bgr.clone());
        if (i >= 50 && i % 25 == 0) candidates.push_back(bgr.clone());
        cv::Mat small;
        cv::resize(bgr, small, screen_size, 0, 0, cv::INTER_AREA);
        set->screen_.push_back(small);
        return true;
      });
  if (n < 300) {
    *error = "cannot read " + fixtures_dir + "/vtest.avi";
    return nullptr;
  }
  set->street_ = Median(samples);

  // The walker: the largest lone person-shaped area among the candidate frames.
  double best = 0;
  for (const cv::Mat& frame : candidates) {
    const std::vector<cv::Rect> people = People(frame, set->street_);
    for (const cv::Rect& r : people) {
      const double aspect = double(r.height) / r.width;
      if (r.height < 60 || r.height > 160 || aspect < 2.2 || aspect > 5) continue;
      if (r.x <= 2 || r.y <= 2 || r.br().x >= frame.cols - 2 || r.br().y >= frame.rows - 2) continue;
      const cv::Rect around(r.x - 12, r.y - 12, r.width + 24, r.height + 24);
      const bool alone = std::none_of(people.begin(), people.end(),
                                      [&](const cv::Rect& o) { return o != r && (o & around).area() > 0; });
      if (!alone || r.area() <= best) continue;
      best = r.area();
      set->walker_ = frame(r).clone();
      set->walker_mask_ = Foreground(frame, set->street_)(r).clone();
    }
  }
  if (set->walker_.empty()) {
    *error = "found no lone pedestrian in " + fixtures_dir + "/vtest.avi";
    return nullptr;
  }

  ReadClip(fixtures_dir + "/tree.avi", kAnalysisFps, kAnalysisHeight, [&](const cv::Mat& bgr, int64_t t, int) {
    if (t >= kTreeBeforeHandS * 1000) return false;
    set->tree_.push_back(bgr.clone());
    return true;
  });
  if (set->tree_.size() < 100) {
    *error = "cannot read " + fixtures_dir + "/tree.avi";
    return nullptr;
  }
  for (const cv::Mat& tree : set->tree_) {  // the screen shows the tree too
    cv::Mat small;
    cv::resize(tree, small, set->screen_[0].size(), 0, 0, cv::INTER_AREA);
    set->screen_.push_back(small);
  }

  set->clips_ = {
      {"still", "a still street; a walker passes every 15 s", false, false, 6},
      {"tree", "tree.avi's tree in wind; a walker passes", true, true, 6},
      {"screen", "a street with a screen playing video in view", true, false, 6},
      {"lights", "a street lamp switches on and off; the street dims", false, true, 6},
      {"ir", "the camera switches to IR (grey) and back", false, true, 6},
      {"rain", "rain streaks and sensor noise", false, true, 6},
      {"close", "a subject filling 90 % of the view's height", false, false, 2},
      {"vtest", "vtest.avi untouched: pedestrians (truth: against its median)", false, false, 0},
      {"tree-hand", "tree.avi untouched: wind, then a hand at 23.5 s", true, true, 1},
  };
  return set;
}

void EvalSet::Play(const std::string& name, const std::function<void(const EvalFrame&)>& on_frame) const {
  if (name == "vtest") return PlayVtest(on_frame);
  if (name == "tree-hand") return PlayTreeHand(on_frame);
  PlayComposited(name, on_frame);
}

void EvalSet::PlayVtest(const std::function<void(const EvalFrame&)>& on_frame) const {
  ReadClip(dir_ + "/vtest.avi", kAnalysisFps, kAnalysisHeight, [&](const cv::Mat& bgr, int64_t t, int) {
    if (t >= kVtestS * 1000) return false;
    EvalFrame f{bgr, t, {}};
    for (const cv::Rect& r : People(bgr, street_)) f.objects.push_back({0, r});
    on_frame(f);
    return true;
  });
}

void EvalSet::PlayTreeHand(const std::function<void(const EvalFrame&)>& on_frame) const {
  ReadClip(dir_ + "/tree.avi", kAnalysisFps, kAnalysisHeight, [&](const cv::Mat& bgr, int64_t t, int) {
    EvalFrame f{bgr, t, {}};
    if (t >= kHandS * 1000) f.objects.push_back({0, cv::Rect()});
    on_frame(f);
    return true;
  });
}

void EvalSet::PlayComposited(const std::string& name, const std::function<void(const EvalFrame&)>& on_frame) const {
  const std::vector<Pass> passes = PassesOf(name);
  const int frames = int(kClipS * kAnalysisFps);
  const cv::Size size = name == "tree" ? tree_[0].size() : street_.size();
  const int w = size.width, h = size.height;
  cv::Mat lamp(size, CV_32F);  // a street lamp's pool of light, left of centre
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const double dx = x - 0.3 * w, dy = y - 0.55 * h, sigma = 0.2 * w;
      lamp.at<float>(y, x) = float(1 + 0.8 * std::exp(-(dx * dx + dy * dy) / (2 * sigma * sigma)));
    }
  }
  for (int i = 0; i < frames; ++i) {
    const double t = i / kAnalysisFps;
    cv::RNG rng(uint64_t(i) * 7919 + std::hash<std::string>()(name));
    EvalFrame f;
    f.time_ms = std::lround(t * 1000);
    if (name == "tree") {
      const int period = 2 * int(tree_.size()) - 2;  // forwards, then backwards: no jump
      const int k = i % period;
      f.bgr = tree_[size_t(k < int(tree_.size()) ? k : period - k)].clone();
    } else {
      f.bgr = street_.clone();
      cv::Mat noise(size, CV_16SC3);
      rng.fill(noise, cv::RNG::NORMAL, 0, 3);
      cv::Mat s16;
      f.bgr.convertTo(s16, CV_16SC3);
      cv::Mat(s16 + noise).convertTo(f.bgr, CV_8UC3);
    }
    if (name == "screen") {  // an advertising screen on the wall, top right: a new picture every frame
      const size_t shown = (size_t(i) * 97) % screen_.size();
      screen_[shown].copyTo(f.bgr(cv::Rect(int(0.6 * w), int(0.04 * h), screen_[0].cols, screen_[0].rows)));
    }
    for (size_t p = 0; p < passes.size(); ++p) {
      const Pass& pass = passes[p];
      const double progress = (t - pass.start_s) / pass.seconds;
      if (progress < 0 || progress > 1) continue;
      const int sh = int(pass.height * h);
      const int sw = std::max(1, walker_.cols * sh / walker_.rows);
      cv::Mat sprite, mask;
      cv::resize(walker_, sprite, {sw, sh}, 0, 0, cv::INTER_LINEAR);
      cv::resize(walker_mask_, mask, {sw, sh}, 0, 0, cv::INTER_LINEAR);
      if (p % 2) cv::flip(sprite, sprite, 1), cv::flip(mask, mask, 1);
      mask.convertTo(mask, CV_32F, 1.0 / 255);
      cv::GaussianBlur(mask, mask, {3, 3}, 0);
      const double along = p % 2 ? 1 - progress : progress;
      const cv::Point at(int(-sw + along * (w + sw)), int(pass.bottom * h) - sh);
      Paste(f.bgr, sprite, mask, at);
      const cv::Rect seen = cv::Rect(at, sprite.size()) & cv::Rect(0, 0, w, h);
      if (seen.area() >= 0.1 * sprite.size().area()) f.objects.push_back({int(p), seen});
    }
    if (name == "lights") {
      if (Within(t, {{13, 28}, {43, 58}, {73, 88}})) ApplyGain(f.bgr, lamp);
      if (Within(t, {{31, 40}, {61, 70}})) ApplyGain(f.bgr, cv::Mat(size, CV_32F, cv::Scalar(0.6)));
    } else if (name == "ir" && Within(t, {{13, 43}, {73, 92}})) {
      // Near infrared: foliage bright, the picture grey; the camera's gain keeps the mean.
      cv::Mat channels[3], ir, day;
      cv::split(f.bgr, channels);
      cv::Mat b, g, r;
      channels[0].convertTo(b, CV_32F);
      channels[1].convertTo(g, CV_32F);
      channels[2].convertTo(r, CV_32F);
      ir = 0.1 * b + 0.3 * g + 0.6 * r;
      cv::cvtColor(f.bgr, day, cv::COLOR_BGR2GRAY);
      ir *= cv::mean(day)[0] / std::max(1.0, cv::mean(ir)[0]);
      ir.convertTo(ir, CV_8U);
      cv::cvtColor(ir, f.bgr, cv::COLOR_GRAY2BGR);
    } else if (name == "rain") {
      cv::Mat streaks = cv::Mat::zeros(size, CV_8UC3);
      for (int k = 0; k < 300; ++k) {
        const cv::Point from(rng.uniform(0, w), rng.uniform(-20, h));
        const int length = rng.uniform(12, 26);
        cv::line(streaks, from, from + cv::Point(length / 6, length), cv::Scalar::all(90), 1 + (k % 3 == 0));
      }
      f.bgr += streaks * 0.6;
      cv::Mat noise(size, CV_16SC3), s16;
      rng.fill(noise, cv::RNG::NORMAL, 0, 6);
      f.bgr.convertTo(s16, CV_16SC3);
      cv::Mat(s16 + noise).convertTo(f.bgr, CV_8UC3);
    }
    on_frame(f);
  }
}

}  // namespace xl::motion_eval
