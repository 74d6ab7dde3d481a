import { LoadingState } from "@/components/node/view-states";

export default function Loading() {
  return <LoadingState what="this node" />;
}
