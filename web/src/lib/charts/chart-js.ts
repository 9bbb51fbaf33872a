/**
 * chart.js with only the pieces our charts use, registered once (tree-shaking keeps the rest out of the bundle).
 * Add a controller or element here before using it in a chart component.
 */
import { CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Tooltip, Legend);

export { Chart };

/** One line of a trend chart: a label and one value per x label (null = no value that day). */
export interface Series {
  label: string;
  values: (number | null)[];
}
