package org.moellava.error;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;

/**
 * A user-facing one-line description of a failure to read JSON. Jackson's {@code getMessage()} appends its
 * internals ({@code [Source: REDACTED ...; line: 1, column: 5]} and a reference chain); users get the original
 * message and the line and column instead.
 */
public final class JsonErrors {
  private JsonErrors() {}

  /** {@code "invalid JSON at line L, column C: <what>"} for a Jackson failure, else the exception's message. */
  public static String describe(Exception e) {
    if (e instanceof JacksonException j) {
      JsonLocation at = j.getLocation();
      String where = at == null || at.getLineNr() < 1 ? ""
          : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
      return "invalid JSON" + where + ": " + firstLine(j.getOriginalMessage());
    }
    return firstLine(e.getMessage());
  }

  private static String firstLine(String s) {
    if (s == null) return "";
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
