// Polygon zones and masks, given in normalised coordinates so they survive a change of
// analysis size, rasterised to the size a detector works at.
#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "proto/camera/analytics_settings.h"

namespace xl::analytics {

// A filled 8-bit mask of `size`: 255 inside any of `polygons`, 0 elsewhere.
cv::Mat RasterisePolygons(const std::vector<Polygon>& polygons, cv::Size size);

}  // namespace xl::analytics
