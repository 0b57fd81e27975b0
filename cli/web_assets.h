// The files `torchsweep results serve` sends (the page, its script and style, and
// Debian's Chart.js), built into the program by cmake/EmbedFiles.cmake: nothing is
// read from disk or fetched from elsewhere while it serves.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace torchsweep {

struct WebAsset {
  const char* path;  ///< the URL path it is served at, e.g. "/dashboard.js"
  const char* mime;  ///< its media type (text/html, ...), all served as UTF-8
  const unsigned char* data;
  size_t size;
};

/// Every embedded file (defined in the generated web_assets.cpp).
const std::vector<WebAsset>& web_assets();

/// The asset served at `path` ("/" is the page), or nullptr.
inline const WebAsset* find_web_asset(const std::string& path) {
  for (const auto& asset : web_assets())
    if (path == asset.path) return &asset;
  return nullptr;
}

}  // namespace torchsweep
