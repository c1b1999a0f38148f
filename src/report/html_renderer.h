// The report's document (report/document.h) as one self-contained HTML
// page: inline CSS, charts as inline SVG, no network reference (a Content
// Security Policy forbids any), every piece of text escaped.
//
// Thread-safety: a pure function.
#pragma once

#include <string>

#include "report/document.h"

namespace switchyard::report {

std::string RenderHtml(const Document& doc);

}  // namespace switchyard::report
