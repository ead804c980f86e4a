package io.gradflow.cli;

import java.util.List;

/** Aligned plain-text tables for the terminal. Numbers are right-aligned, text left-aligned. */
public final class TextTable {

    private TextTable() {
    }

    public static String render(List<String> header, List<List<String>> rows) {
        int n = header.size();
        int[] w = new int[n];
        for (int i = 0; i < n; i++) {
            w[i] = header.get(i).length();
        }
        for (List<String> r : rows) {
            for (int i = 0; i < n; i++) {
                w[i] = Math.max(w[i], r.get(i).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        line(sb, header, w, null);
        for (int i = 0; i < n; i++) {
            sb.append("-".repeat(w[i])).append(i < n - 1 ? "  " : "\n");
        }
        for (List<String> r : rows) {
            line(sb, r, w, r);
        }
        return sb.toString();
    }

    private static void line(StringBuilder sb, List<String> cells, int[] w, List<String> numericCheck) {
        for (int i = 0; i < cells.size(); i++) {
            String c = cells.get(i);
            boolean right = numericCheck != null && c.matches("[-+]?[0-9.]+(e[-+]?[0-9]+)?|NaN|-");
            String pad = " ".repeat(w[i] - c.length());
            sb.append(right ? pad + c : c + (i < cells.size() - 1 ? pad : ""));
            sb.append(i < cells.size() - 1 ? "  " : "\n");
        }
    }
}
