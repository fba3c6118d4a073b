// Camera URLs as the camera spec carries them, and keeping their passwords out of text.
#pragma once

#include <string>

namespace xl::camera {

// `url` with any password replaced by "***", for logs and replies. Any text is accepted;
// text that is not a URL with credentials comes back unchanged. A password may hold '@',
// '/' or ':' unescaped (cameras' web pages allow them): it runs from the first ':' after
// the user name to the last '@' of the URL, so redaction errs towards hiding too much.
std::string RedactUrl(const std::string& url);

// `text` with every occurrence of `secret` replaced by "***" (an empty secret changes
// nothing). Terminates for every secret, "*" and "***" included.
std::string RedactSecret(std::string text, const std::string& secret);

}  // namespace xl::camera
