// What the fuzz targets over real router stores start from.
#pragma once

#include "xueliang.pb.h"

namespace xl::fuzz {

// The registered camera of village 3301020101 the targets' inputs are about.
inline wire::CameraSpec VillageCamera() {
  wire::CameraSpec cam;
  cam.set_id("33010201011320000001");
  cam.set_name("东村村口");
  cam.set_region("3301020101");
  cam.set_url("rtsp://127.0.0.1/x");
  cam.set_enabled(true);
  return cam;
}

}  // namespace xl::fuzz
