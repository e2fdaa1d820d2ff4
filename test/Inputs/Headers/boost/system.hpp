#pragma once
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>
