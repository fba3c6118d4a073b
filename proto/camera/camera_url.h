// Camera URLs as the camera spec carries them.
#pragma once

#include <string>

namespace xl::camera {

// `url` with any password replaced by "***", for logs and replies. Any text is accepted;
// text that is not a URL with credentials comes back unchanged.
std::string RedactUrl(const std::string& url);

}  // namespace xl::camera
