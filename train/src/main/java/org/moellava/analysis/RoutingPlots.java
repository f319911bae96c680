package org.moellava.analysis;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * The routing figures as PNG bytes (XChart, headless): expert loading (stacked bars per MoE layer), modality
 * preference (per layer and expert, the text and image share of its tokens) and the top activated pathways.
 */
public final class RoutingPlots {
  /** File names. */
  public static final String EXPERT_LOADING = "expert_loading.png";
  public static final String MODALITY = "modality_preference.png";
  public static final String PATHWAYS = "top_pathways.png";

  private RoutingPlots() {}

  /** Every figure, file name to PNG bytes. */
  public static Map<String, byte[]> render(RoutingStatistics stats) {
    System.setProperty("java.awt.headless", "true");
    Map<String, byte[]> out = new LinkedHashMap<>();
    out.put(EXPERT_LOADING, png(expertLoading(stats)));
    out.put(MODALITY, png(modality(stats)));
    out.put(PATHWAYS, png(pathways(stats)));
    return out;
  }

  static CategoryChart expertLoading(RoutingStatistics stats) {
    CategoryChart chart = new CategoryChartBuilder().width(640).height(420).title("Expert loading (top-"
        + stats.topK() + " assignments)").xAxisTitle("MoE layer").yAxisTitle("share of tokens").build();
    style(chart);
    chart.getStyler().setStacked(true);
    chart.getStyler().setYAxisMax(1.0);
    List<String> layers = new ArrayList<>();
    for (int layer : stats.layers()) layers.add("layer " + layer);
    for (int e = 0; e < stats.experts(); e++) {
      List<Double> shares = new ArrayList<>();
      for (int l = 0; l < stats.layers().size(); l++) shares.add(stats.loadShare(l, e));
      chart.addSeries("expert " + e, layers, shares);
    }
    return chart;
  }

  static CategoryChart modality(RoutingStatistics stats) {
    CategoryChart chart = new CategoryChartBuilder().width(Math.max(640, 60 * stats.layers().size() * stats.experts()))
        .height(420).title("Modality preference of each expert").xAxisTitle("layer / expert")
        .yAxisTitle("share of the expert's tokens").build();
    style(chart);
    chart.getStyler().setStacked(true);
    chart.getStyler().setYAxisMax(1.0);
    List<String> names = new ArrayList<>();
    List<Double> text = new ArrayList<>();
    List<Double> image = new ArrayList<>();
    for (int l = 0; l < stats.layers().size(); l++) {
      for (int e = 0; e < stats.experts(); e++) {
        names.add("L" + stats.layers().get(l) + " E" + e);
        boolean any = stats.assignments(l, e) > 0;
        image.add(stats.imageFraction(l, e));
        text.add(any ? 1.0 - stats.imageFraction(l, e) : 0.0);
      }
    }
    chart.addSeries("text", names, text);
    chart.addSeries("image", names, image);
    return chart;
  }

  static CategoryChart pathways(RoutingStatistics stats) {
    CategoryChart chart = new CategoryChartBuilder().width(720).height(420)
        .title("Top " + RoutingReport.TOP_PATHWAYS + " activated pathways (top-1 expert per MoE layer "
            + stats.layers() + ")").xAxisTitle("pathway").yAxisTitle("share of tokens").build();
    style(chart);
    List<String> names = new ArrayList<>();
    List<Double> all = new ArrayList<>();
    for (Pathway p : stats.topPathways(RoutingReport.TOP_PATHWAYS, null)) {
      names.add(p.label());
      all.add(p.share());
    }
    if (names.isEmpty()) {
      names.add("none");
      all.add(0.0);
    }
    chart.addSeries("all tokens", names, all);
    return chart;
  }

  private static void style(CategoryChart chart) {
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
    chart.getStyler().setXAxisLabelRotation(0);
    chart.getStyler().setYAxisMin(0.0);
  }

  private static byte[] png(CategoryChart chart) {
    try {
      return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    } catch (IOException e) {
      throw new IllegalStateException("cannot render " + chart.getTitle(), e);
    }
  }
}
