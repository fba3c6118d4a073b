#include "analytics/object_detector.h"

#include "analytics/onnx_input_shape.h"
#include "proto/camera/object_labels.h"

#include <algorithm>
#include <filesystem>
#include <opencv2/imgproc.hpp>

namespace xl::analytics {
namespace {

constexpr int kClasses = 80;
constexpr int kStride = 4;

// The output shapes the model must give for an input of side `size`; "" when they do.
std::string ShapeFault(const std::vector<cv::Mat>& outs, int batch, int size) {
  const int cells = size / kStride;
  const int want[2][4] = {{batch, kClasses, cells, cells}, {batch, 4, cells, cells}};
  const char* names[2] = {"heatmap", "boxes"};
  for (int o = 0; o < 2; ++o) {
    const cv::Mat& m = outs[size_t(o)];
    bool ok = m.dims == 4 && m.type() == CV_32F;
    for (int d = 0; ok && d < 4; ++d) ok = m.size[d] == want[o][d];
    if (!ok) {
      std::string got;
      for (int d = 0; d < m.dims; ++d) got += (d ? "×" : "") + std::to_string(m.size[d]);
      return std::string("output '") + names[o] + "' is [" + got + "], not [" + std::to_string(want[o][0]) + "×" +
             std::to_string(want[o][1]) + "×" + std::to_string(want[o][2]) + "×" + std::to_string(want[o][3]) + "]";
    }
  }
  return "";
}

}  // namespace

std::vector<cv::Rect> CropsAround(std::vector<cv::Rect> regions, cv::Size frame, int min_side, int max) {
  std::sort(regions.begin(), regions.end(), [](const cv::Rect& a, const cv::Rect& b) { return a.area() > b.area(); });
  const cv::Rect inside(cv::Point(0, 0), frame);
  auto square = [&](const cv::Rect& r) {
    const int side =
        std::min(std::max({r.width * 3 / 2, r.height * 3 / 2, min_side}), std::min(frame.width, frame.height));
    cv::Point tl(r.x + r.width / 2 - side / 2, r.y + r.height / 2 - side / 2);
    tl.x = std::clamp(tl.x, 0, std::max(0, frame.width - side));
    tl.y = std::clamp(tl.y, 0, std::max(0, frame.height - side));
    return cv::Rect(tl, cv::Size(side, side)) & inside;
  };
  std::vector<cv::Rect> crops;
  for (const cv::Rect& r : regions) {
    cv::Rect s = square(r);
    bool merged = true;
    while (merged) {  // a square that overlaps another becomes the square around both
      merged = false;
      for (auto it = crops.begin(); it != crops.end(); ++it) {
        if ((*it & s).area() > 0) {
          s = square(*it | s);
          crops.erase(it);
          merged = true;
          break;
        }
      }
    }
    crops.push_back(s);
  }
  std::sort(crops.begin(), crops.end(), [](const cv::Rect& a, const cv::Rect& b) { return a.area() > b.area(); });
  if (int(crops.size()) > max) crops.resize(size_t(max));
  return crops;
}

ObjectDetector::ObjectDetector(cv::dnn::Net net, int size, ObjectConfig config)
    : net_(std::move(net)), size_(size), config_(std::move(config)) {
  for (const std::string& label : config_.alert_on) {
    if (const int c = camera::ObjectClass(label); c >= 0) classes_.push_back(c);
  }
}

Result<std::unique_ptr<ObjectDetector>> ObjectDetector::Load(const ObjectConfig& config) {
  const std::string& path = config.model;
  if (path.empty()) return InvalidArgument("objects: 'model' must name the object detection model file");
  if (!std::filesystem::is_regular_file(path)) return InvalidArgument("objects: cannot read the model file " + path);
  const Result<std::vector<int64_t>> shape = OnnxInputShape(path);
  if (!shape.ok()) return InvalidArgument("objects: " + shape.error().message);
  const std::vector<int64_t>& dims = shape.value();
  if (dims.size() != 4 || dims[0] != 1 || dims[1] != 3 || dims[2] != dims[3] || dims[2] < 32 || dims[2] % 32) {
    std::string got;
    for (int64_t d : dims) got += (got.empty() ? "" : "×") + std::to_string(d);
    return InvalidArgument("objects: " + path + " takes [" + got + "], not [1×3×S×S] with S a multiple of 32");
  }
  const int size = int(dims[2]);
  cv::dnn::Net net;
  try {
    net = cv::dnn::readNetFromONNX(path);
  } catch (const cv::Exception&) {
    return InvalidArgument("objects: " + path + " is not an ONNX model cv::dnn can load");
  }
  if (net.empty()) return InvalidArgument("objects: " + path + " is not an ONNX model cv::dnn can load");
  // Outputs by name first: a model of another kind may crash cv::dnn on our input.
  const std::vector<cv::String> outputs = net.getUnconnectedOutLayersNames();
  for (const char* name : {"heatmap", "boxes"}) {
    if (std::find(outputs.begin(), outputs.end(), name) == outputs.end()) {
      return InvalidArgument("objects: " + path + " has no output '" + name +
                             "': not the CenterNet model deploy/models.sh makes");
    }
  }
  try {
    const int shape[4] = {1, 3, size, size};
    net.setInput(cv::Mat(4, shape, CV_32F, cv::Scalar(0)));
    std::vector<cv::Mat> outs;
    net.forward(outs, std::vector<cv::String>{"heatmap", "boxes"});
    if (const std::string fault = ShapeFault(outs, 1, size); !fault.empty()) {
      return InvalidArgument("objects: " + path + " is not the CenterNet model deploy/models.sh makes: " + fault);
    }
  } catch (const cv::Exception& e) {
    return InvalidArgument("objects: " + path +
                           " does not run as the CenterNet model deploy/models.sh makes (outputs 'heatmap' and "
                           "'boxes'): " +
                           e.err);
  }
  return std::unique_ptr<ObjectDetector>(new ObjectDetector(std::move(net), size, config));
}

std::vector<DetectedObject> ObjectDetector::Detect(const cv::Mat& bgr, const std::vector<cv::Rect>& regions) {
  const int min_side = std::max(32, int(config_.min_crop * std::min(bgr.cols, bgr.rows)));
  return Run(bgr, CropsAround(regions, bgr.size(), min_side, config_.max_regions));
}

std::vector<DetectedObject> ObjectDetector::DetectWhole(const cv::Mat& bgr) {
  return Run(bgr, {cv::Rect(0, 0, bgr.cols, bgr.rows)});
}

std::vector<DetectedObject> ObjectDetector::Run(const cv::Mat& bgr, const std::vector<cv::Rect>& crops) {
  if (crops.empty() || classes_.empty()) return {};
  const int size = size_;
  const int cells = size / kStride, plane = cells * cells;
  std::vector<DetectedObject> found;
  for (const cv::Rect& crop : crops) {
    // One crop a run: cv::dnn 4.6 mis-shapes this model's squeeze-excite blocks for a batch
    // of more than one picture.
    const cv::Mat blob =
        cv::dnn::blobFromImage(bgr(crop), 1.0, cv::Size(size, size), cv::Scalar(), true, false, CV_32F);
    net_.setInput(blob);
    std::vector<cv::Mat> outs;
    net_.forward(outs, std::vector<cv::String>{"heatmap", "boxes"});
    if (!ShapeFault(outs, 1, size).empty()) return {};
    const float* heat = outs[0].ptr<float>();
    const float* box = outs[1].ptr<float>();
    const double sx = double(crop.width) / size, sy = double(crop.height) / size;
    for (int c : classes_) {
      const float* h = heat + size_t(c) * plane;
      for (int y = 0; y < cells; ++y) {
        for (int x = 0; x < cells; ++x) {
          const float v = h[y * cells + x];
          if (v < config_.min_score) continue;
          bool peak = true;  // a centre is the largest in its 3×3 neighbourhood
          for (int dy = -1; dy <= 1 && peak; ++dy) {
            for (int dx = -1; dx <= 1 && peak; ++dx) {
              const int yy = y + dy, xx = x + dx;
              if (yy >= 0 && xx >= 0 && yy < cells && xx < cells && h[yy * cells + xx] > v) peak = false;
            }
          }
          if (!peak) continue;
          const int i = y * cells + x;
          const float cx = float(x * kStride), cy = float(y * kStride);
          const float left = cx - box[i], top = cy - box[plane + i];
          const float right = cx + box[2 * plane + i], bottom = cy + box[3 * plane + i];
          cv::Rect r(cv::Point(crop.x + int(left * sx), crop.y + int(top * sy)),
                     cv::Point(crop.x + int(right * sx), crop.y + int(bottom * sy)));
          r &= cv::Rect(0, 0, bgr.cols, bgr.rows);
          if (r.area() > 0) found.push_back({camera::kObjectLabels[size_t(c)], v, r});
        }
      }
    }
  }
  // One box per object: crops overlap, and a centre may peak twice.
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
  std::vector<DetectedObject> kept;
  for (const DetectedObject& o : found) {
    const bool duplicate = std::any_of(kept.begin(), kept.end(), [&](const DetectedObject& k) {
      const double overlap = (k.rect & o.rect).area();
      return k.label == o.label && overlap > 0.5 * std::min(k.rect.area(), o.rect.area());
    });
    if (!duplicate) kept.push_back(o);
  }
  return kept;
}

}  // namespace xl::analytics
