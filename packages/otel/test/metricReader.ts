import { MeterProvider, MetricReader, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics';

/** A reader collected on demand, as a Prometheus scrape would. */
class OnDemandReader extends MetricReader {
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/** A meter provider with an on-demand reader, and a way to read every data point by name. */
export function meterWithReader() {
  const reader = new OnDemandReader();
  const provider = new MeterProvider({ readers: [reader] });
  return {
    meter: provider.getMeter('test'),
    /** The data points of `name`, each with its attributes. */
    points: async (name: string): Promise<DataPoint<number | Histogram>[]> => {
      const { resourceMetrics } = await reader.collect();
      const out: DataPoint<number | Histogram>[] = [];
      for (const scope of resourceMetrics.scopeMetrics)
        for (const metric of scope.metrics)
          if (metric.descriptor.name === name) out.push(...(metric.dataPoints as DataPoint<number | Histogram>[]));
      return out;
    },
    shutdown: () => provider.shutdown(),
  };
}
