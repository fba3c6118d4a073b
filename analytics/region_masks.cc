#include "analytics/region_masks.h"

#include <opencv2/imgproc.hpp>

namespace xl::analytics {

cv::Mat RasterisePolygons(const std::vector<Polygon>& polygons, cv::Size size) {
  cv::Mat mask = cv::Mat::zeros(size, CV_8UC1);
  for (const Polygon& poly : polygons) {
    std::vector<cv::Point> pts;
    pts.reserve(poly.size());
    for (const PointF& p : poly) {
      pts.emplace_back(cvRound(p.x * size.width), cvRound(p.y * size.height));
    }
    if (pts.size() >= 3) cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{pts}, 255);
  }
  return mask;
}

}  // namespace xl::analytics
