package org.parameternet.report;

import java.util.Locale;

/** RFC 4180 fields. */
final class Csv {
  private Csv() {}

  static String field(String s) {
    if (s.contains(",") || s.contains("\"") || s.contains("\n")) {
      return "\"" + s.replace("\"", "\"\"") + "\"";
    }
    return s;
  }

  static String number(double v) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.4f", v);
  }
}
