using UnityEditor;
using UnityEngine;

namespace StreamScopeEditor
{
    /// <summary>GameObject &gt; StreamScope &gt; Add telemetry: a StreamScopeClient in the open scene.</summary>
    public static class StreamScopeMenu
    {
        /// <summary>Creates a "StreamScope Telemetry" GameObject with a StreamScopeClient (undoable).</summary>
        [MenuItem("GameObject/StreamScope/Add telemetry", false, 10)]
        public static void AddTelemetry(MenuCommand command)
        {
            var go = new GameObject("StreamScope Telemetry");
            go.AddComponent<StreamScopeClient>();
            GameObjectUtility.SetParentAndAlign(go, command.context as GameObject);
            Undo.RegisterCreatedObjectUndo(go, "Add StreamScope telemetry");
            Selection.activeObject = go;
        }
    }
}
