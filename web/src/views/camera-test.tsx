// A camera test: one frame of the source, with the faces the detector found drawn over it
// in the browser. The frame lives only in this component's memory; nothing is stored.
import { useEffect, useRef } from "preact/hooks";
import type { CameraTestOut } from "../api/types";

export function CameraTestResult({ result }: { result: CameraTestOut }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const el = canvas.current;
    const ctx = el?.getContext("2d");
    if (!el || !ctx) return;
    const image = new Image();
    image.onload = () => {
      el.width = result.width;
      el.height = result.height;
      ctx.drawImage(image, 0, 0);
      ctx.lineWidth = Math.max(2, result.width / 320);
      ctx.font = `${Math.max(14, result.width / 48)}px system-ui, sans-serif`;
      result.faces.forEach((face, i) => {
        const colour = face.passes_quality ? "#00c853" : "#ffab00";
        ctx.strokeStyle = colour;
        ctx.strokeRect(face.x, face.y, face.width, face.height);
        const label = `${i + 1}: ${Math.round(face.face_px)} px${face.passes_quality ? "" : ` (${face.failed_check ?? "fails"})`}`;
        const w = ctx.measureText(label).width + 8;
        ctx.fillStyle = colour;
        ctx.fillRect(face.x, Math.max(0, face.y - 22), w, 22);
        ctx.fillStyle = "#000";
        ctx.fillText(label, face.x + 4, Math.max(16, face.y - 6));
      });
      image.src = "";
    };
    image.src = `data:image/jpeg;base64,${result.frame_jpeg_base64}`;
  }, [result]);
  const summary = result.faces.length === 0 ? "no face found" :
    `${result.faces.length} face${result.faces.length > 1 ? "s" : ""} found, ${result.faces.filter((f) => f.passes_quality).length} good enough to recognise`;
  return (
    <figure class="camera-test" data-faces={result.faces.length}>
      <canvas ref={canvas} role="img" aria-label={`Frame from camera ${result.camera_id}: ${summary}`} />
      <figcaption>
        Camera {result.camera_id}: {summary} ({result.source_width}×{result.source_height}, {result.frames_read} frame{result.frames_read === 1 ? "" : "s"} read, detector {result.detector}). Nothing is stored.
        {result.faces.length > 0 && (
          <ol>{result.faces.map((f, i) => <li key={i}>face {i + 1}: {Math.round(f.face_px)} px high, sharpness {Math.round(f.sharpness)}, {f.passes_quality ? "passes the quality gate" : `fails ${f.failed_check ?? "quality"}`}</li>)}</ol>
        )}
      </figcaption>
    </figure>
  );
}
