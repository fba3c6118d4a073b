// The names of the objects a camera can alert on (`objects.alert_on`): the 80 COCO classes,
// in the order the object detection model numbers them (analytics/object_detector.h).
#pragma once

#include <algorithm>
#include <array>
#include <string>

namespace xl::camera {

inline constexpr std::array<const char*, 80> kObjectLabels = {
    "person",         "bicycle",    "car",           "motorcycle",    "airplane",     "bus",           "train",
    "truck",          "boat",       "traffic light", "fire hydrant",  "stop sign",    "parking meter", "bench",
    "bird",           "cat",        "dog",           "horse",         "sheep",        "cow",           "elephant",
    "bear",           "zebra",      "giraffe",       "backpack",      "umbrella",     "handbag",       "tie",
    "suitcase",       "frisbee",    "skis",          "snowboard",     "sports ball",  "kite",          "baseball bat",
    "baseball glove", "skateboard", "surfboard",     "tennis racket", "bottle",       "wine glass",    "cup",
    "fork",           "knife",      "spoon",         "bowl",          "banana",       "apple",         "sandwich",
    "orange",         "broccoli",   "carrot",        "hot dog",       "pizza",        "donut",         "cake",
    "chair",          "couch",      "potted plant",  "bed",           "dining table", "toilet",        "tv",
    "laptop",         "mouse",      "remote",        "keyboard",      "cell phone",   "microwave",     "oven",
    "toaster",        "sink",       "refrigerator",  "book",          "clock",        "vase",          "scissors",
    "teddy bear",     "hair drier", "toothbrush"};

// The model's class number of `label`; -1 when it is not one of them.
inline int ObjectClass(const std::string& label) {
  const auto it = std::find(kObjectLabels.begin(), kObjectLabels.end(), label);
  return it == kObjectLabels.end() ? -1 : int(it - kObjectLabels.begin());
}

}  // namespace xl::camera
