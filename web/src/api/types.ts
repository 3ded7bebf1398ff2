// Readable names for the generated contract types (src/api/generated, from mobile_contract/).
import type { components } from "./generated/openapi";
import type {
  AnyMessageOfTheDeploymentFeedWebSocketDeploymentsIdFeed,
  ErrorRFC9457ProblemDetails,
} from "./generated/feed";

type S = components["schemas"];
export type Alert = S["AlertOut"];
export type DecisionIn = S["DecisionIn"];
export type AmendmentIn = S["AmendmentIn"];
export type Deployment = S["DeploymentOut"];
export type DeploymentCreate = S["DeploymentCreate"];
export type Authorisation = S["Authorisation"];
export type Camera = S["CameraOut"];
export type CameraIn = S["CameraIn"];
export type CameraTestIn = S["CameraTestIn"];
export type CameraTestOut = S["CameraTestOut"];
export type Entry = S["EntryOut"];
export type ImageCheck = S["ImageCheck"];
export type User = S["UserOut"];
export type UserCreate = S["UserCreate"];
export type Me = S["Me"];
export type TokenPair = S["TokenPair"];
export type Assignment = S["AssignmentOut"];
export type ServiceAccount = S["ServiceAccountOut"];
export type Hold = S["HoldOut"];
export type HoldIn = S["HoldIn"];
export type Report = S["DeploymentReport"];
export type PublicSummary = S["PublicSummary"];
export type PublicNotice = S["PublicNotice"];
export type Transition = S["TransitionOut"];
export type AuditVerification = S["AuditVerification"];
export type Viewer = S["ViewerOut"];
export type Outcome = DecisionIn["outcome"];
export type Assessment = NonNullable<DecisionIn["assessment"]>;
export type Role = "admin" | "authorising_officer" | "officer" | "supervisor" | "compliance";

export type FeedMessage = AnyMessageOfTheDeploymentFeedWebSocketDeploymentsIdFeed;
export type Problem = ErrorRFC9457ProblemDetails & {
  errors?: { field: string; message: string }[];
  current?: { decision?: string; outcome?: string; assessment?: string | null; decided_by?: string; decided_at?: string };
  check?: string;
};

/** Camera health (issue 9): present in GET /deployments/{id}/cameras once the service reports it. */
export interface CameraHealth {
  state: "connected" | "outage" | "stopped" | "unknown";
  outage_since: string | null;
  fps: number | null;
  frames_read: number;
  frames_dropped: number;
  last_report_at: string | null;
}
export type CameraWithHealth = Camera & { health?: CameraHealth };

/** The operating point: the threshold a deployment runs at and the false alerts it predicts. */
export type OperatingPoint = S["OperatingPointOut"];
